"""Bare Django views that bench/ measures the API against.

`baseline` answers through the same server and middleware as the API, but without DRF, the
ORM or the database, so a ratio to it says what the API's own work costs on whatever machine
runs the benchmark. `durable_write` adds the least any saving request must do: commit one
write. Its ratio is a ceiling for every endpoint that saves, whatever the API does on top.
Routed only when settings.BENCHMARK is on (DJANGO_BENCHMARK=true).
"""

import json
import os

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hipflex_api.changes.counters import next_change_seq

# About the size and shape of a catalog page: twenty exercise summaries, serialised once.
BODY = json.dumps(
    {
        "count": 5000,
        "next": "http://127.0.0.1/api/v1/exercises/?page=2",
        "previous": None,
        "results": [
            {
                "slug": f"bench-exercise-{n:05d}",
                "name": f"Bench exercise {n:05d}",
                "kind": "stretch",
                "summary": "Opens the front of the hip: half-kneeling, tuck the pelvis and "
                "shift forward until the stretch is felt.",
                "difficulty": 1 + n % 3,
                "unilateral": n % 2 == 0,
                "published": True,
                "updated_at": "2026-11-26T09:00:00.000000Z",
            }
            for n in range(20)
        ],
    }
).encode()


def baseline(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="application/json")


@csrf_exempt  # Posted by wrk, like the uploads it is compared with; there is no session.
@require_POST
def durable_write(request: HttpRequest) -> HttpResponse:
    """One single-row UPDATE, committed, then the baseline's body: no authentication, no
    parsing, no validation. Each worker counts in a row of its own, so that the workers do
    not queue for one row lock and the run measures the commit, not the wait."""
    with transaction.atomic():
        next_change_seq(f"bench:{os.getpid()}")
    return HttpResponse(BODY, content_type="application/json")


# Included by hipflex_api/urls.py only when settings.BENCHMARK is on.
urlpatterns: list[URLPattern] = [
    path("baseline/", baseline, name="bench-baseline"),
    path("durable-write/", durable_write, name="bench-durable-write"),
]
