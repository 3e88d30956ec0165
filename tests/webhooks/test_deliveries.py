"""Deliveries to a real receiver on loopback, verified with the `standardwebhooks` package:
the ping, the retries and their log, redelivery, rotation, disabling, and the addresses a
try refuses. Jobs run in this process once the change commits, as without a broker; the
worker's own run is in tests/jobs/test_webhooks_on_worker.py."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hipflex_api.webhooks import services, tasks
from hipflex_api.webhooks.events import EventType
from hipflex_api.webhooks.models import Delivery, Endpoint
from tests.factories import EndpointFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOKS_URL = "/api/v1/webhooks/"


@pytest.fixture
def endpoint(user, receiver):
    return EndpointFactory(user=user, url=receiver.url, events=["session.created"])


def _emit(user, **data):
    with transaction.atomic():
        return services.emit(user_id=user.pk, type=EventType.SESSION_CREATED, data=data)


def _log(client, endpoint):
    return client.get(f"{WEBHOOKS_URL}{endpoint.pk}/deliveries/").json()["results"]


def _beat(after_seconds):
    """The beat's run that many seconds from now: the tries then due."""
    with time_machine.travel(timezone.now() + timedelta(seconds=after_seconds), tick=False):
        return tasks.send_due()


def test_a_ping_arrives_signed_to_the_standard(user_client, endpoint, receiver):
    answer = user_client.post(f"{WEBHOOKS_URL}{endpoint.pk}/ping/")
    [(headers, body, _)] = receiver.wait_for(1)

    assert answer.status_code == 202, answer.content
    payload = Webhook(endpoint.secret).verify(body, headers)
    assert payload["type"] == "ping"
    assert payload["data"] == {"endpoint": str(endpoint.pk)}
    assert headers["webhook-id"].startswith("msg_")
    assert headers["Content-Type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        Webhook(EndpointFactory.build().secret).verify(body, headers)
    [logged] = _log(user_client, endpoint)
    assert (logged["status"], logged["attempts"], logged["last_status_code"]) == (
        "delivered",
        1,
        200,
    )
    assert logged["event_id"] == headers["webhook-id"]


def test_a_failing_receiver_is_tried_again_until_it_answers(user_client, user, endpoint, receiver):
    receiver.answer(500, 503)
    event = _emit(user, session="s1")
    first = receiver.wait_for(1)
    _beat(1)  # Not due yet: the first wait is WEBHOOK_RETRY_SECONDS[0], 5 s.
    waited = len(receiver.requests)
    _beat(7)
    _beat(80)
    arrived = receiver.wait_for(3)

    assert len(first) == waited == 1
    assert {headers["webhook-id"] for headers, _, _ in arrived} == {event.message_id}
    [logged] = _log(user_client, endpoint)
    assert [t["status_code"] for t in logged["tries"]] == [500, 503, 200]
    assert (logged["status"], logged["attempts"], logged["next_attempt_at"]) == (
        "delivered",
        3,
        None,
    )
    assert all(t["response_ms"] >= 0 for t in logged["tries"])
    assert Endpoint.objects.get().failing_since is None


def test_a_receiver_that_never_answers_well_fails_and_is_disabled(
    user_client, user, endpoint, receiver, settings, mailoutbox
):
    settings.WEBHOOK_RETRY_SECONDS = [60, 60]
    settings.WEBHOOK_DISABLE_AFTER_SECONDS = 100
    receiver.answer(500, 500, 500)
    _emit(user, session="s1")
    _beat(75)
    _beat(150)
    receiver.wait_for(3)

    [logged] = _log(user_client, endpoint)
    endpoint.refresh_from_db()
    assert (logged["status"], logged["attempts"]) == ("failed", 3)
    assert endpoint.disabled_at is not None
    [mail] = mailoutbox
    assert mail.to == [user.email]
    assert endpoint.url in mail.body
    assert _emit(user, session="s2") is None  # Nothing more is sent to it.
    ping = user_client.post(f"{WEBHOOKS_URL}{endpoint.pk}/ping/")
    assert_error(ping, 409, "endpoint_disabled")
    enabled = user_client.patch(f"{WEBHOOKS_URL}{endpoint.pk}/", {"enabled": True}, format="json")
    assert enabled.json()["enabled"] is True


def test_a_failure_in_a_day_that_also_had_successes_disables_nothing(
    user, endpoint, receiver, settings
):
    settings.WEBHOOK_RETRY_SECONDS = [60]
    settings.WEBHOOK_DISABLE_AFTER_SECONDS = 100
    receiver.answer(500, 500)
    _emit(user, session="s1")
    _beat(75)
    receiver.wait_for(2)

    endpoint.refresh_from_db()
    assert Delivery.objects.get().status == "failed"
    assert endpoint.disabled_at is None  # Failing for 75 s only.
    assert endpoint.failing_since is not None


def test_redelivery_sends_the_same_event_again(user_client, user, endpoint, receiver):
    _emit(user, session="s1")
    receiver.wait_for(1)
    [logged] = _log(user_client, endpoint)

    again = user_client.post(f"{WEBHOOKS_URL}{endpoint.pk}/deliveries/{logged['id']}/redeliver/")
    twice = receiver.wait_for(2)

    assert again.status_code == 202
    assert twice[0][0]["webhook-id"] == twice[1][0]["webhook-id"]
    assert twice[0][1] == twice[1][1]
    assert _log(user_client, endpoint)[0]["attempts"] == 2


def test_after_a_rotation_either_secret_verifies_for_a_day(user_client, endpoint, receiver):
    old = endpoint.secret
    new = user_client.post(f"{WEBHOOKS_URL}{endpoint.pk}/rotate/").json()["secret"]
    user_client.post(f"{WEBHOOKS_URL}{endpoint.pk}/ping/")
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1), tick=False):
        user_client.post(f"{WEBHOOKS_URL}{endpoint.pk}/ping/")
        [(during, body, _), (after, later, _)] = receiver.wait_for(2)
        Webhook(new).verify(later, after)
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(later, after)

    # The first ping, sent a day earlier, verifies against that day's clock.
    with time_machine.travel(int(during["webhook-timestamp"]), tick=False):
        assert Webhook(old).verify(body, during)["type"] == "ping"
        assert Webhook(new).verify(body, during)["type"] == "ping"


def test_a_redirect_is_not_followed(user_client, endpoint, receiver):
    receiver.answer(302)
    user_client.post(f"{WEBHOOKS_URL}{endpoint.pk}/ping/")

    receiver.wait_for(1)
    [logged] = _log(user_client, endpoint)
    assert (logged["status"], logged["last_status_code"]) == ("failed", 302)
    assert len(receiver.requests) == 1


def test_each_try_checks_the_address_again(user_client, user, endpoint, receiver, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False  # The endpoint's address is no longer allowed.
    _emit(user, session="s1")

    [logged] = _log(user_client, endpoint)
    assert "must use https" in logged["last_error"]
    assert logged["last_status_code"] is None
    assert receiver.requests == []


def test_a_receiver_that_is_down_is_a_failed_try(user_client, user, receiver):
    receiver.stop()
    endpoint = EndpointFactory(user=user, url=receiver.url)
    _emit(user, session="s1")

    [logged] = _log(user_client, endpoint)
    assert logged["status"] == "pending"
    assert logged["last_error"].startswith("connection")
    assert logged["next_attempt_at"] is not None


def test_the_body_is_the_event_as_the_specification_shapes_it(user, endpoint, receiver):
    event = _emit(user, session="s1", sequence=4)
    [(_, body, _)] = receiver.wait_for(1)

    assert json.loads(body) == {
        "type": "session.created",
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {"user": user.pk, "session": "s1", "sequence": 4},
    }


def test_a_delivery_due_to_an_endpoint_paused_since_is_not_sent(
    user_client, user, endpoint, receiver
):
    with transaction.atomic():
        services.emit(user_id=user.pk, type=EventType.SESSION_CREATED, data={"n": 1})
        Endpoint.objects.filter(pk=endpoint.pk).update(disabled_at=timezone.now())

    [logged] = _log(user_client, endpoint)
    assert (logged["status"], logged["attempts"], logged["tries"]) == ("failed", 0, [])
    assert "disabled" in logged["last_error"]
    assert receiver.requests == []
