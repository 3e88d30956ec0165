from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hipflex_api.accounts.signals import CONNECTION_END_REASONS
from hipflex_api.fields import (
    HEALTH_DATA,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictURLField,
    max_length_of,
)
from hipflex_api.serializers import OPTIONAL_IN_RESPONSE

from .events import SUBSCRIBABLE_NAMES, EventType
from .models import MAX_URL_LENGTH, Attempt, Delivery, Endpoint


class WebhookEndpointSerializer(serializers.ModelSerializer[Endpoint]):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_NAMES), help_text="What it is sent."
    )
    enabled = serializers.SerializerMethodField(
        help_text="False once paused or once its deliveries kept failing (`disabled_at` says "
        "when): nothing is sent to it until it is enabled again."
    )
    previous_secret_until = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="After a rotation, the old secret signs too until then.",
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "enabled",
            "disabled_at",
            "failing_since",
            "previous_secret_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_enabled(self, endpoint: Endpoint) -> bool:
        return endpoint.disabled_at is None


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_` and base64), for the receiver's "
        "`standardwebhooks` verifier. Shown in this answer only.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


def _events_field(*, required: bool) -> serializers.ListField:
    return serializers.ListField(
        child=StrictChoiceField(choices=SUBSCRIBABLE_NAMES),
        min_length=1,
        max_length=len(SUBSCRIBABLE_NAMES),
        required=required,
        help_text="The event types to send it: at least one.",
    )


class WebhookEndpointRequestSerializer(serializers.Serializer):
    url = StrictURLField(
        max_length=MAX_URL_LENGTH,
        help_text="Where the events go: https, to a public address (`unsafe_url` says why "
        "one is refused).",
    )
    events = _events_field(required=True)
    description = StrictCharField(
        max_length=max_length_of(Endpoint, "description"),
        required=False,
        allow_blank=True,
        help_text="What it is for, for its owner.",
    )


class WebhookEndpointChangeSerializer(WebhookEndpointRequestSerializer):
    url = StrictURLField(max_length=MAX_URL_LENGTH, required=False, help_text="Where to.")
    events = _events_field(required=False)
    enabled = StrictBooleanField(
        required=False,
        help_text="`false` pauses the endpoint; `true` turns it on again, after a pause or "
        "once its deliveries kept failing.",
    )


# An event's data holds the fields of its kind: each is left out of the others'.
@extend_schema_field({"type": "string", "format": "uuid", OPTIONAL_IN_RESPONSE: True})
class _SomeUUIDField(serializers.UUIDField):
    pass


@extend_schema_field({"type": "integer", OPTIONAL_IN_RESPONSE: True})
class _SomeIntegerField(serializers.IntegerField):
    pass


@extend_schema_field({"type": "string", "format": "date-time", OPTIONAL_IN_RESPONSE: True})
class _SomeDateTimeField(serializers.DateTimeField):
    pass


class ChangeEventDataSerializer(serializers.Serializer):
    """A program event's data, made from the program (sessions.services), and the part of a
    session event's that it shares: the row, its version after the change and the person's
    change number, by which a receiver orders events that arrive out of order. The row
    itself is read with `GET /api/v1/sessions/{id}/` or `GET /api/v1/me/assignments/{id}/`,
    under the reader's own scopes."""

    id = _SomeUUIDField(
        required=False,
        help_text="The session (session and pain events) or program (program events).",
    )
    version = _SomeIntegerField(
        required=False, help_text="Its version after the change (session and program events)."
    )
    sequence = _SomeIntegerField(
        required=False,
        source="change_seq",
        help_text="The person's change number of this change: higher is later (session and "
        "program events).",
    )
    deleted_at = _SomeDateTimeField(
        required=False,
        allow_null=True,
        help_text="Set in `session.deleted`, and in the `assignment.changed` of a program "
        "that ended (the trainer ended it, or the link ended).",
    )


class SessionEventDataSerializer(ChangeEventDataSerializer):
    """A session event's data, made from the session (sessions.services)."""

    started_at = _SomeDateTimeField(required=False, help_text="(Session events.)")


# What each set of a `pain.reported` says; health data, as pain anywhere in the API.
_PAIN_SET = {
    "type": "object",
    "properties": {
        "exercise": {"type": "string", "description": "The exercise's slug."},
        "side": {"type": "string", "enum": ["left", "right", "both"]},
        "pain": {"type": "integer", "minimum": 0, "maximum": 10, HEALTH_DATA: True},
    },
    "required": ["exercise", "side", "pain"],
}


@extend_schema_field({"type": "array", "items": _PAIN_SET, OPTIONAL_IN_RESPONSE: True})
class _PainSetsField(serializers.ListField):
    pass


# The week's as `GET /api/v1/me/stats/` counts a program's adherence: the schema names the
# sessions layer's component, which the core cannot import (the schema check fails if the
# component goes).
@extend_schema_field(
    {"allOf": [{"$ref": "#/components/schemas/Adherence"}], OPTIONAL_IN_RESPONSE: True}
)
class _AdherenceField(serializers.DictField):
    pass


@extend_schema_field({"type": "string", "enum": CONNECTION_END_REASONS, OPTIONAL_IN_RESPONSE: True})
class _ReasonField(serializers.CharField):
    pass


class WebhookEventDataSerializer(SessionEventDataSerializer):
    """What an event says, the fields of its kind; each is left out of the others'."""

    user = _SomeIntegerField(
        required=False,
        help_text="The person whose data it is: the `id` of `GET /api/v1/me/`. In every event "
        "but a ping.",
    )
    sets = _PainSetsField(
        required=False,
        help_text="`pain.reported`: the sets saved with pain at or above the threshold "
        "(`REVIEW_PAIN_THRESHOLD`) that the session did not hold before.",
    )
    reason = _ReasonField(
        required=False,
        help_text="`connection.revoked`: `revoked` (the person disconnected the app) or "
        "`password_changed` (a new password ended every app's tokens): the app's tokens for "
        "the person are dead, and it must ask them to connect again.",
    )
    assignment = _SomeUUIDField(
        required=False, help_text="`adherence.weekly`: the program whose week it counts."
    )
    client = _SomeUUIDField(
        required=False,
        help_text="`adherence.weekly`, while the person shares with the program's trainer: the "
        "client as the trainer's paths name them (`/api/v1/coaching/clients/{client_id}/`).",
    )
    adherence = _AdherenceField(
        required=False,
        help_text="`adherence.weekly`: the program's week, Monday to Sunday in the person's "
        "time zone (`start`, `end`), as `GET /api/v1/me/stats/` counts it.",
    )
    endpoint = _SomeUUIDField(required=False, help_text="The endpoint pinged (`ping`).")


class WebhookEventSerializer(serializers.Serializer):
    """A delivery's body: the event's type, when it happened, and what it says."""

    type = serializers.ChoiceField(choices=EventType.choices)
    timestamp = serializers.DateTimeField(help_text="When the event happened.")

    def get_fields(self) -> dict[str, serializers.Field]:
        # `data` by name, which a declared field would take from Serializer.data.
        return {**super().get_fields(), "data": WebhookEventDataSerializer()}


@extend_schema_field(WebhookEventSerializer)
class PayloadField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return value


class WebhookAttemptSerializer(serializers.ModelSerializer[Attempt]):
    class Meta:
        model = Attempt
        fields = ["at", "status_code", "response_ms", "error"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer[Delivery]):
    event_id = serializers.CharField(
        source="event.message_id", help_text="The `webhook-id` it was sent with."
    )
    event_type = serializers.ChoiceField(source="event.type", choices=EventType.choices)
    tries = WebhookAttemptSerializer(many=True, help_text="Every try, the first first.")
    payload = PayloadField(
        source="event.payload", read_only=True, help_text="The body sent, as signed."
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_response_ms",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "tries",
            "payload",
        ]
        read_only_fields = fields
