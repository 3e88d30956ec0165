"""The OpenAPI text of the probes, so that views.py reads as behaviour."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view

from hipflex_api.schema import ErrorResponse

from .serializers import HealthSerializer, ReadinessSerializer

# A class-based view: the schema goes on its method.
healthz_schema = extend_schema_view(
    get=extend_schema(
        operation_id="checkHealth",
        tags=["ops"],
        summary="Liveness probe",
        description="Answers as long as the server process does, touching no database, cache or "
        "broker: restart the process when this fails. Needs no credentials, is never throttled, "
        "and its request lines are logged at DEBUG only.",
        responses={
            200: OpenApiResponse(
                HealthSerializer,
                description="The process answers.",
                examples=[OpenApiExample("Alive", value={"status": "ok"})],
            )
        },
    )
)

# A class-based view: the schema goes on its method.
readyz_schema = extend_schema_view(
    get=extend_schema(
        operation_id="checkReadiness",
        tags=["ops"],
        summary="Readiness probe",
        description="Checks the database, the cache, the store of throttle counts and, when "
        "one is configured, the Celery broker, all at once and each within "
        "`READINESS_TIMEOUT_SECONDS` (2 s by default). A 503 only when the database failed, "
        "which no request can do without: send traffic elsewhere then. Another part failing is "
        "a 200 with `status` `degraded`: every instance shares those parts, and the API still "
        "answers without them. Needs no credentials, is never throttled, and its request lines "
        "are logged at DEBUG only.",
        responses={
            200: OpenApiResponse(
                ReadinessSerializer,
                description="The database answered; `status` says whether the rest did.",
                examples=[
                    OpenApiExample(
                        "Ready",
                        value={
                            "status": "ready",
                            "checks": {
                                "database": "ok",
                                "cache": "ok",
                                "counters": "ok",
                                "broker": "ok",
                            },
                        },
                    ),
                    OpenApiExample(
                        "Degraded: the cache is down",
                        value={
                            "status": "degraded",
                            "checks": {
                                "database": "ok",
                                "cache": "unreachable",
                                "counters": "ok",
                                "broker": "ok",
                            },
                        },
                    ),
                    OpenApiExample(
                        "Ready without a broker",
                        value={
                            "status": "ready",
                            "checks": {
                                "database": "ok",
                                "cache": "ok",
                                "counters": "ok",
                                "broker": "not_configured",
                            },
                        },
                    ),
                ],
            ),
            503: ErrorResponse(
                "The database failed or did not answer in time; `errors` names it and every "
                "other part that failed, in `field` (`database`, `cache`, `counters` or "
                "`broker`), with code `unreachable` or `timeout`.",
                "not_ready",
                examples=[
                    OpenApiExample(
                        "Database down",
                        value={
                            "status": 503,
                            "code": "not_ready",
                            "detail": "Not ready: database.",
                            "errors": [
                                {
                                    "field": "database",
                                    "code": "unreachable",
                                    "message": "The database could not be reached.",
                                }
                            ],
                        },
                    )
                ],
            ),
        },
    )
)
