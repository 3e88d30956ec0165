"""A bare Django view that bench/ measures every endpoint against.

It answers through the same server and middleware as the API, but without DRF, the ORM or
the database, so a ratio to it says what the API's own work costs on whatever machine runs
the benchmark. Routed only when settings.BENCHMARK is on (DJANGO_BENCHMARK=true).
"""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

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


urlpatterns: list[URLPattern] = (
    [path("baseline/", baseline, name="bench-baseline")] if settings.BENCHMARK else []
)
