"""What a person does with their endpoints, what a change emits, and one try of a delivery."""

import json
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hipflex_api import mail
from hipflex_api.accounts.models import App, User
from hipflex_api.accounts.services import apps_holding_tokens, connected_apps
from hipflex_api.domain_errors import ConflictError, InvalidInput, OverLimit
from hipflex_api.jobs.outbox import publish_on_commit

from . import sending
from .addresses import UnsafeURL, checked
from .events import APPS_ONLY, SCOPE_NEEDED, EventType
from .models import Attempt, Delivery, Endpoint, Event
from .signing import headers, new_secret

logger = logging.getLogger(__name__)

SEND_EVENT = "hipflex_api.webhooks.send_event"
SEND_DELIVERY = "hipflex_api.webhooks.send_delivery"


class EndpointDisabled(ConflictError):
    code = "endpoint_disabled"

    def __init__(self) -> None:
        super().__init__(
            "This endpoint is disabled (its deliveries kept failing): enable it again with "
            '`PATCH {"enabled": true}` first.'
        )


def _lease() -> timedelta:
    """How long a sender holds a delivery: past it, the try is taken for lost."""
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 30)


class EventNotOpen(InvalidInput):
    """An endpoint asked for events its owner can never be sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="events")


def _check_events(owner: User | App, events: Sequence[str]) -> list[str]:
    """The events, once each, that this owner may be sent: a person hears no app's events,
    and an app only those the scopes staff allowed it could ever let it see."""
    kinds = sorted(set(events))
    if isinstance(owner, User):
        if refused := [kind for kind in kinds if kind in APPS_ONLY]:
            raise EventNotOpen(f"Only a connected app's endpoints hear {', '.join(refused)}.")
        return kinds
    allowed = set(owner.allowed_scopes)
    needs = {kind: SCOPE_NEEDED.get(EventType(kind)) for kind in kinds}
    if refused := [kind for kind, scope in needs.items() if scope and scope not in allowed]:
        scopes = sorted({str(needs[kind]) for kind in refused})
        raise EventNotOpen(
            f"This app may not ask people for {', '.join(scopes)}, which "
            f"{', '.join(refused)} needs: it would never be sent."
        )
    return kinds


def owner_of(endpoint: Endpoint) -> User | App:
    # One of the two, as webhooks_endpoint_one_owner holds.
    return cast(User | App, endpoint.user if endpoint.app_id is None else endpoint.app)


def owned_by(owner: User | App) -> dict[str, User | App]:
    """The lookup of the endpoints this owner has."""
    return {"user": owner} if isinstance(owner, User) else {"app": owner}


@transaction.atomic
def endpoint_create(
    *, owner: User | App, url: str, events: Sequence[str], description: str = ""
) -> Endpoint:
    type(owner).objects.select_for_update().filter(pk=owner.pk).first()  # One count at a time.
    if Endpoint.objects.filter(**owned_by(owner)).count() >= settings.MAX_WEBHOOK_ENDPOINTS:
        raise OverLimit(
            f"You have {settings.MAX_WEBHOOK_ENDPOINTS} webhook endpoints "
            "(`MAX_WEBHOOK_ENDPOINTS`): delete one first."
        )
    kinds = _check_events(owner, events)
    checked(url)
    return Endpoint.objects.create(
        **owned_by(owner),
        url=url,
        events=kinds,
        description=description,
        secret=new_secret(),
    )


@transaction.atomic
def endpoint_update(*, endpoint: Endpoint, **changes: Any) -> Endpoint:
    """Change its URL, events or description; `enabled` false pauses it, true turns it on
    again (after a pause, or once its deliveries kept failing)."""
    if "events" in changes:
        changes["events"] = _check_events(owner_of(endpoint), changes["events"])
    if "url" in changes:
        checked(changes["url"])
    enabled = changes.pop("enabled", None)
    if enabled is True:
        endpoint.disabled_at = endpoint.failing_since = None
    elif enabled is False and endpoint.disabled_at is None:
        endpoint.disabled_at = timezone.now()
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint) -> Endpoint:
    """A new secret; the old one signs beside it for WEBHOOK_SECRET_OVERLAP_SECONDS, so that
    the receiver can switch without losing an event."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + timedelta(
        seconds=settings.WEBHOOK_SECRET_OVERLAP_SECONDS
    )
    endpoint.secret = new_secret()
    endpoint.save()
    return endpoint


def signing_secrets(endpoint: Endpoint, now: datetime) -> list[str]:
    until = endpoint.previous_secret_until
    return [endpoint.secret] + (
        [endpoint.previous_secret] if until is not None and until > now else []
    )


def _listening(
    user_id: int, type: EventType, apps: Sequence[int] | None, people: Sequence[int]
) -> list[Endpoint]:
    """The enabled endpoints subscribed to this event of the person's: their own and those
    of `people`, and those of the apps they connected (or of `apps`) whose grant lets them
    see what it tells. Every upload asks this, mostly of people with no endpoint: one cheap
    query first, with the apps that ever held a token of theirs, and only when some of
    those have endpoints, a second for the live grants."""
    ever = apps if apps is not None else apps_holding_tokens(user_id=user_id)
    owners = Q(app_id__in=ever)
    if type not in APPS_ONLY:
        owners |= Q(user_id__in=[user_id, *people])
    found = Endpoint.objects.filter(owners, disabled_at__isnull=True)
    listening = [endpoint for endpoint in found if type in endpoint.events]
    app_ids = {endpoint.app_id for endpoint in listening if endpoint.app_id is not None}
    if apps is not None or not app_ids:
        return listening
    granted = connected_apps(user_id=user_id, among=sorted(app_ids))
    needed = SCOPE_NEEDED.get(type)
    return [
        endpoint
        for endpoint in listening
        if endpoint.app_id is None
        or (endpoint.app_id in granted and (needed is None or needed in granted[endpoint.app_id]))
    ]


def emit(
    *,
    user_id: int,
    type: EventType,
    data: dict[str, Any],
    apps: Sequence[int] | None = None,
    people: Sequence[int] = (),
) -> Event | None:
    """The event, with a delivery to each enabled endpoint subscribed to it that may hear it
    (`_listening`), sent by one job once the current transaction commits; None when none
    listens. Its data names the person (`user`, their id), as an app must know whose it is.
    `people` are others the person lets see it, whose own endpoints hear it too: the trainer
    of the program it counts."""
    listening = _listening(user_id, type, apps, people)
    if not listening:
        return None
    # The account's end outlives the account, which takes its own events along.
    owner = None if type is EventType.ACCOUNT_DELETED else user_id
    event = Event.objects.create(user_id=owner, type=type, data={"user": user_id, **data})
    due = timezone.now() + _lease()  # The job's to send; the beat's if the job is lost.
    Delivery.objects.bulk_create(
        Delivery(endpoint=endpoint, event=event, next_attempt_at=due) for endpoint in listening
    )
    publish_on_commit(SEND_EVENT, [str(event.pk)], argsrepr=repr((str(event.pk), type.value)))
    return event


@transaction.atomic
def endpoint_ping(*, endpoint: Endpoint) -> Delivery:
    """A `ping` event to this endpoint alone, sent at once: for its owner to test it."""
    if endpoint.disabled_at is not None:
        raise EndpointDisabled()
    event = Event.objects.create(
        user_id=endpoint.user_id, type=EventType.PING, data={"endpoint": str(endpoint.pk)}
    )  # An app's ping is of no person: its user is null.
    delivery = Delivery.objects.create(
        endpoint=endpoint, event=event, next_attempt_at=timezone.now() + _lease()
    )
    _send_later(delivery)
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send it again, once more, whatever became of it: a retry of its own, with the same
    event id, so a receiver that had it drops it."""
    delivery = Delivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    if delivery.endpoint.disabled_at is not None:
        raise EndpointDisabled()
    # A sender that holds it (a try in flight) keeps it: the job then finds it held.
    delivery.status = Delivery.Status.PENDING
    delivery.next_attempt_at = timezone.now() + _lease()
    delivery.save()
    _send_later(delivery)
    return delivery


def _send_later(delivery: Delivery) -> None:
    publish_on_commit(SEND_DELIVERY, [str(delivery.pk)], argsrepr=repr((str(delivery.pk),)))


def deliveries_of(event_id: str) -> list[str]:
    return [
        str(pk) for pk in Delivery.objects.filter(event_id=event_id).values_list("pk", flat=True)
    ]


def _claim(delivery_id: str, now: datetime) -> Delivery | None:
    """The delivery, held for this sender, or None: done with, or another sender holds it."""
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    if not claimed.update(claimed_until=now + _lease()):
        return None
    return Delivery.objects.select_related("endpoint", "event").get(pk=delivery_id)


def body_of(event: Event) -> bytes:
    return json.dumps(event.payload, separators=(",", ":")).encode()


def delivery_send(delivery_id: str) -> bool | None:
    """One try of the delivery: whether it was delivered, or None if it was not this
    sender's to try (done with, or held by another)."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    endpoint, event = delivery.endpoint, delivery.event
    if endpoint.disabled_at is not None:  # Paused, or failing: nothing is sent, nor tried.
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED,
            next_attempt_at=None,
            claimed_until=None,
            last_error="The endpoint was disabled: nothing was sent.",
        )
        return False
    body = body_of(event)
    signed = headers(signing_secrets(endpoint, now), event.message_id, int(now.timestamp()), body)
    try:
        target = checked(endpoint.url)
    except UnsafeURL as exc:
        outcome = sending.Outcome(None, 0, exc.message[:300])
    else:
        outcome = sending.post(target, body, signed, settings.WEBHOOK_TIMEOUT_SECONDS)
    _record(delivery, outcome, now)
    return outcome.delivered


@transaction.atomic
def _record(delivery: Delivery, outcome: sending.Outcome, now: datetime) -> None:
    Attempt.objects.create(
        delivery=delivery,
        at=now,
        status_code=outcome.status_code,
        response_ms=outcome.milliseconds,
        error=outcome.error,
    )
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_response_ms = outcome.status_code, outcome.milliseconds
    delivery.last_error, delivery.claimed_until = outcome.error, None
    endpoints = Endpoint.objects.filter(pk=delivery.endpoint_id)
    schedule = settings.WEBHOOK_RETRY_SECONDS
    if outcome.delivered:
        delivery.status, delivery.delivered_at = Delivery.Status.DELIVERED, now
        delivery.next_attempt_at = None
        endpoints.update(failing_since=None)
    elif delivery.event.type != EventType.PING and delivery.attempts <= len(schedule):
        wait = schedule[delivery.attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311 - jitter
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        endpoints.filter(failing_since__isnull=True).update(failing_since=now)
    else:  # A ping is tried once; anything else, once per step of the schedule.
        delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
        endpoints.filter(failing_since__isnull=True).update(failing_since=now)
        _disable_if_failing(delivery.endpoint_id, now)
    delivery.save()


def _disable_if_failing(endpoint_id: Any, now: datetime) -> None:
    since = now - timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS)
    # Only the endpoint's row is locked: its owners are on the nullable side of the joins.
    failing = Endpoint.objects.select_for_update(of=("self",)).select_related("user", "app__user")
    endpoint = failing.filter(
        pk=endpoint_id, disabled_at__isnull=True, failing_since__lte=since
    ).first()
    if endpoint is None:
        return
    endpoint.disabled_at = now
    endpoint.save(update_fields=["disabled_at"])
    logger.warning(
        "Webhook endpoint %s disabled: failing since %s", endpoint.pk, endpoint.failing_since
    )
    # A person's endpoint tells them; an app's, the account staff registered it for, if any.
    owner = endpoint.user if endpoint.app is None else endpoint.app.user
    if owner is None:
        return
    mail.send_after_commit(
        mail.render(
            "webhooks/mail/endpoint_disabled", to=owner.email, context={"endpoint": endpoint}
        )
    )


def purge_log() -> int:
    """Events older than WEBHOOK_LOG_DAYS, with their deliveries and tries, unless one is
    still being tried; how many events went."""
    old = Event.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=settings.WEBHOOK_LOG_DAYS)
    ).exclude(deliveries__status=Delivery.Status.PENDING)
    _, by_model = old.delete()
    return by_model.get(Event._meta.label, 0)


def due_deliveries(limit: int = 500) -> list[str]:
    """The pending deliveries whose try is due, pushed a lease on so that the next beat does
    not hand them out again while their job waits for a worker."""
    now = timezone.now()
    with transaction.atomic():
        due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        ids = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__in=ids).update(next_attempt_at=now + _lease())
    return [str(pk) for pk in ids]
