"""The webhooks' operations in the schema: what each does and answers."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from hipflex_api.schema import ErrorResponse

from .events import SCOPE_NEEDED
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointChangeSerializer,
    WebhookEndpointRequestSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)

_ENDPOINT_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The endpoint's id."
)
_TOO_MANY = ErrorResponse(
    "The caller has `MAX_WEBHOOK_ENDPOINTS` endpoints already.", "unprocessable"
)
_DISABLED = ErrorResponse("The endpoint is disabled: enable it again first.", "endpoint_disabled")
_SCOPES = {
    scope: [kind for kind, s in SCOPE_NEEDED.items() if s is scope]
    for scope in SCOPE_NEEDED.values()
}
# What each event needs of a person's grant for an app to hear it, in words.
_AS_GRANTED = "; ".join(
    f"{', '.join(f'`{kind.value}`' for kind in kinds)} with `{scope.value}`"
    for scope, kinds in _SCOPES.items()
)
_SIGNED = (
    " Every delivery is a POST of `{type, timestamp, data}` signed to the Standard Webhooks "
    "specification: `webhook-id` (the event's id, the same on every try), `webhook-timestamp` "
    "and `webhook-signature`, which the `standardwebhooks` package verifies with the secret."
)

endpoints_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listMyWebhooks",
        summary="List my webhook endpoints",
        description="The caller's endpoints (a person's, or an app's by its client "
        "credentials), newest first; never their secrets.",
    ),
    retrieve=extend_schema(
        operation_id="getMyWebhook", summary="Get a webhook endpoint", parameters=[_ENDPOINT_ID]
    ),
    create=extend_schema(
        operation_id="createMyWebhook",
        summary="Register a webhook endpoint",
        description="A URL events are sent to: a person's own (`jwtAuth`), or an app's "
        "(`appClient`), which hears of each person who connected the app what their grant "
        f"lets it see ({_AS_GRANTED}) and of every connection or account that ends. A "
        "person's own hears of their own data, and `adherence.weekly` of their clients' too. "
        "Each is sent once its change has been saved and never while the request that made "
        "it runs; a try that fails (a timeout, a "
        "refused connection, any answer but 2xx) is made again on a schedule for about a "
        "day, and an endpoint that fails that long is disabled and its owner told by mail. "
        "The URL must be https to a public address, checked now and before every try. "
        "`secret` is in this answer only. At most `MAX_WEBHOOK_ENDPOINTS`." + _SIGNED,
        request=WebhookEndpointRequestSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, 422: _TOO_MANY},
    ),
    partial_update=extend_schema(
        operation_id="updateMyWebhook",
        summary="Change a webhook endpoint",
        description="Its URL (checked as at registration), events or description; "
        '`{"enabled": true}` turns a disabled one on again.',
        parameters=[_ENDPOINT_ID],
        request=WebhookEndpointChangeSerializer,
        responses={200: WebhookEndpointSerializer},
    ),
    destroy=extend_schema(
        operation_id="deleteMyWebhook",
        summary="Delete a webhook endpoint",
        description="With its delivery log; nothing more is sent to it.",
        parameters=[_ENDPOINT_ID],
    ),
    rotate=extend_schema(
        operation_id="rotateMyWebhookSecret",
        summary="Rotate a webhook endpoint's secret",
        description="A new `secret`, in this answer only. Until `previous_secret_until` (a "
        "day, `WEBHOOK_SECRET_OVERLAP_SECONDS`) each delivery is signed with the old secret "
        "as well, so the receiver verifies with either while it switches.",
        parameters=[_ENDPOINT_ID],
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer},
    ),
    ping=extend_schema(
        operation_id="pingMyWebhook",
        summary="Send a test event",
        description="A `ping` event to this endpoint alone, tried once, at once; its "
        "delivery, in the log, says how the receiver answered.",
        parameters=[_ENDPOINT_ID],
        request=None,
        responses={202: WebhookDeliverySerializer, 409: _DISABLED},
    ),
)

_DELIVERY_PARAMETERS = [
    OpenApiParameter(
        "endpoint_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The endpoint's id."
    ),
]

deliveries_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listMyWebhookDeliveries",
        summary="List an endpoint's deliveries",
        description="The delivery log, newest first: each event sent, its tries with the "
        "status and time of each answer, and the next try while one is due.",
        parameters=_DELIVERY_PARAMETERS,
    ),
    redeliver=extend_schema(
        operation_id="redeliverMyWebhookDelivery",
        summary="Send a delivery again",
        description="Once more, with the same event id, whatever became of it: a receiver "
        "that had it already drops it.",
        parameters=[
            *_DELIVERY_PARAMETERS,
            OpenApiParameter(
                "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The delivery's id."
            ),
        ],
        request=None,
        responses={202: WebhookDeliverySerializer, 409: _DISABLED},
    ),
)
