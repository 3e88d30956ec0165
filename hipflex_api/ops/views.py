"""The probes, for load balancers and orchestrators, and Prometheus' scrape target."""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_prometheus.exports import ExportToDjangoView  # type: ignore[import-untyped]
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hipflex_api.errors import error_body

from . import checks, openapi


class ProbeView(APIView):
    """Open to anyone and never throttled: a probe carries no data, and a load balancer must
    not be locked out."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    # No query of theirs can fail (readyz reports the database's failure as its answer): the
    # schema gives them no 503 `database_unavailable`.
    database_free = True


@openapi.healthz_schema
class HealthView(ProbeView):
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


@openapi.readyz_schema
class ReadyView(ProbeView):
    def get(self, request: Request) -> Response:
        outcomes = checks.readiness()
        failures = [failure for failure in outcomes.values() if failure is not None]
        if any(f.component in checks.NEEDED for f in failures):
            errors = [
                {"field": f.component, "code": f.code, "message": f.message} for f in failures
            ]
            detail = f"Not ready: {', '.join(f.component for f in failures)}."
            return Response(
                error_body(status_code=503, code="not_ready", detail=detail, errors=errors),
                status=503,
            )
        # Without the others the API still answers (README, "When a part fails"), and they are
        # shared by every instance: a 503 here would take them all out of the load balancer.
        found = {name: "ok" if f is None else f.code for name, f in outcomes.items()}
        found.setdefault("broker", "not_configured")
        return Response({"status": "degraded" if failures else "ready", "checks": found})


def _refused(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(status_code=status, code=code, detail=detail), status=status)


@csrf_exempt  # Authenticated by a bearer token, never a cookie: there is nothing to forge.
def metrics(request: HttpRequest) -> HttpResponse:
    """django-prometheus' export, for callers that send `Authorization: Bearer <METRICS_TOKEN>`."""
    if not (token := settings.METRICS_TOKEN):
        # Without a token nobody may read metrics, so there is no endpoint to speak of: a 404,
        # as for any unknown URL, tells a scanner nothing, and an operator reads the README.
        return _refused(404, "not_found", f"No endpoint at {request.path}.")
    sent = request.META.get("HTTP_AUTHORIZATION", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return _refused(403, "permission_denied", "Send Authorization: Bearer <METRICS_TOKEN>.")
    if request.method not in {"GET", "HEAD"}:
        refused = _refused(405, "method_not_allowed", f'Method "{request.method}" not allowed.')
        refused["Allow"] = "GET, HEAD"
        return refused
    return ExportToDjangoView(request)
