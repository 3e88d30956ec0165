"""The events a person's changes make, through the API: each session written, changed or
deleted is told to the endpoints subscribed to it, once it commits, in change order."""

from datetime import timedelta

import pytest
import time_machine
from standardwebhooks.webhooks import Webhook

from hipflex_api.jobs.models import Job
from hipflex_api.webhooks.models import Delivery, Event
from hipflex_api.webhooks.tasks import send_due
from tests.conftest import SESSIONS_URL, session_body, upload_session
from tests.factories import EndpointFactory
from tests.jobs.conftest import jobs_on
from tests.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def _events(receiver, count, secret):
    return [Webhook(secret).verify(body, headers) for headers, body, _ in receiver.wait_for(count)]


def test_a_session_s_life_is_told_in_order(user_client, user, king_runner, receiver):
    every = ["session.created", "session.updated", "session.deleted"]
    endpoint = EndpointFactory(user=user, url=receiver.url, events=every)

    session_id = upload_session(user_client, king_runner)
    changed = user_client.patch(f"{SESSIONS_URL}{session_id}/", {"notes": "x"}, format="json")
    deleted = user_client.delete(f"{SESSIONS_URL}{session_id}/")
    told = _events(receiver, 3, endpoint.secret)

    assert (changed.status_code, deleted.status_code) == (200, 204)
    assert [e["type"] for e in told] == every
    assert {e["data"]["id"] for e in told} == {session_id}
    assert [e["data"]["version"] for e in told] == [1, 2, 3]
    sequences = [e["data"]["sequence"] for e in told]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == 3
    assert [e["data"]["deleted_at"] is None for e in told] == [True, True, False]
    # Thin events: what a reader may see of the session is the API's to answer.
    assert "sets" not in told[0]["data"]
    assert "perceived_effort" not in told[0]["data"]


def test_only_the_events_subscribed_to_are_sent(user_client, user, king_runner, receiver):
    EndpointFactory(user=user, url=receiver.url, events=["session.deleted"])

    session_id = upload_session(user_client, king_runner)
    user_client.delete(f"{SESSIONS_URL}{session_id}/")
    [(_, body, _)] = receiver.wait_for(1)

    assert b'"session.deleted"' in body
    assert Event.objects.get().type == "session.deleted"


def test_another_person_s_endpoint_hears_nothing(user_client, other_user, king_runner, receiver):
    EndpointFactory(user=other_user, url=receiver.url, events=["session.created"])

    upload_session(user_client, king_runner)

    assert receiver.requests == []
    assert not Event.objects.exists()


def test_a_refused_upload_tells_nothing(user_client, user, king_runner, receiver):
    EndpointFactory(user=user, url=receiver.url, events=["session.created"])

    refused = user_client.post(
        SESSIONS_URL, session_body(king_runner, ended_at="2025-03-01T06:00:00Z"), format="json"
    )

    assert refused.status_code == 400
    assert not Event.objects.exists()
    assert receiver.requests == []


def test_a_retried_upload_is_told_once(user_client, user, king_runner, receiver):
    EndpointFactory(user=user, url=receiver.url, events=["session.created"])
    body = session_body(king_runner, id="0b6f1c1e-3c1a-4a8e-9a57-0b7c3f9d2a11")

    first = user_client.post(SESSIONS_URL, body, format="json")
    again = user_client.post(SESSIONS_URL, body, format="json")
    receiver.wait_for(1)

    assert (first.status_code, again.status_code) == (201, 200)
    assert Event.objects.count() == 1
    assert len(receiver.requests) == 1


def test_an_event_the_broker_did_not_take_is_sent_by_the_beat_once_its_lease_passed(
    user_client, user, king_runner, receiver
):
    # The deliveries are the event's own record: no job row is kept for it, and no request
    # pays a commit to delete one.
    EndpointFactory(user=user, url=receiver.url, events=["session.created"])
    with jobs_on(f"redis://127.0.0.1:{free_port()}/0"):  # Nothing listens there.
        session_id = upload_session(user_client, king_runner)
    delivery = Delivery.objects.get()

    assert not Job.objects.exists()
    assert (delivery.status, delivery.attempts, receiver.requests) == ("pending", 0, [])
    assert send_due.delay().result == 0  # Its lease still holds: the lost job may yet run.
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert send_due.delay().result == 1
    [(_, body, _)] = receiver.wait_for(1)

    assert session_id.encode() in body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
