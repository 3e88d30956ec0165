import uuid
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from .events import EventType

# The longest endpoint URL, and the most an event's id and type may hold.
MAX_URL_LENGTH = 2000


class Endpoint(models.Model):
    """A URL events are sent to, signed with its secret: a person's, for their own data, or
    a connected app's, for the data of each person who connected it that their grant lets
    the app see."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Its owner: one of the two.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
    )
    app = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
    )
    url = models.URLField(max_length=MAX_URL_LENGTH)
    events = models.JSONField(default=list)  # EventType values; never empty.
    description = models.CharField(max_length=200, blank=True)
    # The signing secret ("whsec_" and base64), kept as it is: the server signs with it.
    secret = models.CharField(max_length=100)
    # The secret before the last rotation, still signing beside the new one until then.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    # Since when every delivery has failed, or null while the last one succeeded.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(secret__startswith="whsec_"),  # noqa: S106 - a prefix
                name="webhooks_endpoint_secret_shape",
            ),
            models.CheckConstraint(
                condition=Q(previous_secret="") | Q(previous_secret_until__isnull=False),
                name="webhooks_endpoint_previous_secret_has_an_end",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, app__isnull=True)
                | Q(user__isnull=True, app__isnull=False),
                name="webhooks_endpoint_one_owner",
                violation_error_message="An endpoint belongs to a person or to an app.",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "created_at"], name="webhooks_endpoint_user"),
            models.Index(fields=["app", "created_at"], name="webhooks_endpoint_app"),
        ]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """Something that happened to a person's data, as the endpoints subscribed to it hear."""

    # Sent as `webhook-id` ("msg_" and the hex): the same on every try of every delivery.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Whose data: the account's events go with it. Null for an app's ping, and for the
    # `account.deleted` that outlives the account (its data names the person's id).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_events",
    )
    type = models.CharField(max_length=40, choices=EventType.choices)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.type} {self.pk}"

    @property
    def message_id(self) -> str:
        return f"msg_{self.pk.hex}"

    @property
    def payload(self) -> dict[str, Any]:
        """The body of its deliveries, as the specification shapes it."""
        # In UTC, with a Z, as the API's own times.
        at = self.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return {"type": self.type, "timestamp": at, "data": self.data}


class Delivery(models.Model):
    """One event on its way to one endpoint, and how its tries went."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The try due next, while pending; a sender holds the delivery until `claimed_until`.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhooks_delivery_once"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(next_attempt_at__isnull=True),
                name="webhooks_delivery_due_only_while_pending",
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "created_at"], name="webhooks_delivery_log"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhooks_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}"


class Attempt(models.Model):
    """One try of a delivery: what the receiver answered, or why nothing came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery} at {self.at}: {self.status_code or self.error}"
