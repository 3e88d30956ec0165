"""Prometheus' view of the service, beyond what django-prometheus counts by itself: task runs
and failures (counted by hipflex_api.ops.signals), jobs kept for a broker that was down, and
cached catalog answers by view."""

from django.http import HttpRequest
from django_prometheus import middleware  # type: ignore[import-untyped]
from prometheus_client import Counter

from .middleware import resolved

TASK_RUNS = Counter(
    "celery_task_runs",
    "Celery task runs by task and outcome (success, failure, retry).",
    ["task", "outcome"],
)
TASK_FAILURES = Counter(
    "celery_task_failures",
    "Celery task runs that raised, by task and exception class.",
    ["task", "exception"],
)
JOBS_KEPT = Counter(
    "jobs_kept",
    "Jobs the broker did not take when enqueued, kept in the database for the relay, by task.",
    ["task"],
)


class PrometheusAfterMiddleware(middleware.PrometheusAfterMiddleware):
    """django-prometheus' second middleware, which settings place just before the catalog's
    cache (not last) so that it counts an answer from the cache too; such an answer was given
    before Django resolved the URL, so its view is resolved here."""

    def _get_view_name(self, request: HttpRequest) -> str:
        match = resolved(request)
        return match.view_name if match is not None and match.view_name else "<unnamed view>"
