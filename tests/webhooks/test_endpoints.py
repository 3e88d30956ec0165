"""Registering, listing, changing, rotating and deleting webhook endpoints through the API,
and the addresses they may not name."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from hipflex_api.webhooks import tasks
from hipflex_api.webhooks.models import Delivery, Endpoint, Event
from tests.factories import DeliveryFactory, EndpointFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

WEBHOOKS_URL = "/api/v1/webhooks/"
# Public names and addresses; the checks resolve them, so these name addresses literally.
PUBLIC = "https://93.184.215.14/hooks"


def _register(client, **body):
    return client.post(
        WEBHOOKS_URL, {"url": PUBLIC, "events": ["session.created"], **body}, format="json"
    )


def test_registering_answers_the_secret_once(user_client, user):
    created = _register(user_client, description="My sync script")
    listed = user_client.get(WEBHOOKS_URL).json()["results"]

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert (body["url"], body["events"], body["enabled"]) == (PUBLIC, ["session.created"], True)
    assert Endpoint.objects.get(pk=body["id"]).user == user
    assert [row["id"] for row in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in user_client.get(f"{WEBHOOKS_URL}{body['id']}/").json()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.215.14/hooks", "must use https"),
        ("https://10.0.0.7/hooks", "private"),
        ("https://192.168.1.20/hooks", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[fd00:ec2::254]/", "private"),
        ("https://0.0.0.0/", "private"),
        ("https://user:secret@93.184.215.14/", "user name or password"),
        ("https://no-such-host.invalid/", "does not resolve"),
    ],
)
def test_an_address_that_is_not_public_is_refused(user_client, url, why):
    body = assert_error(_register(user_client, url=url), 400, "invalid")

    [error] = body["errors"]
    assert (error["field"], error["code"]) == ("url", "unsafe_url")
    assert why in error["message"]
    assert not Endpoint.objects.exists()


def test_loopback_is_the_development_profile_s_only(user_client, settings):
    allowed = _register(user_client, url="http://127.0.0.1:8000/hooks")
    settings.WEBHOOK_ALLOW_LOOPBACK = False  # As production.
    refused = _register(user_client, url="https://127.0.0.1:8443/hooks")
    plain = _register(user_client, url="http://localhost:8000/hooks")

    assert allowed.status_code == 201
    assert "loopback" in assert_error(refused, 400, "invalid")["errors"][0]["message"]
    assert "https" in assert_error(plain, 400, "invalid")["errors"][0]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"events": ["session.created", "no.such.event"]},
        {"events": ["ping"]},
        {"events": "session.created"},
        {"url": "not a url"},
        {"url": 7},
        {"description": "x" * 201},
    ],
)
def test_a_bad_registration_names_its_field(user_client, body):
    answer = assert_error(_register(user_client, **body), 400, "invalid")

    assert {error["field"].split(".")[0] for error in answer["errors"]} == set(body)
    assert not Endpoint.objects.exists()


def test_endpoints_are_limited(user_client, user, settings):
    settings.MAX_WEBHOOK_ENDPOINTS = 2
    EndpointFactory.create_batch(2, user=user)

    body = assert_error(_register(user_client), 422, "unprocessable")
    assert "MAX_WEBHOOK_ENDPOINTS" in body["detail"]
    assert Endpoint.objects.count() == 2


def test_another_person_s_endpoint_is_404_on_every_operation(user_client, other_user):
    theirs = EndpointFactory(user=other_user)
    url = f"{WEBHOOKS_URL}{theirs.pk}/"

    answers = [
        user_client.get(url),
        user_client.patch(url, {"description": "mine"}, format="json"),
        user_client.delete(url),
        user_client.post(f"{url}rotate/"),
        user_client.post(f"{url}ping/"),
        user_client.get(f"{url}deliveries/"),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    theirs.refresh_from_db()
    assert theirs.description == ""


def test_a_change_is_checked_as_a_registration_is(user_client, user):
    endpoint = EndpointFactory(user=user, url=PUBLIC)
    url = f"{WEBHOOKS_URL}{endpoint.pk}/"

    refused = user_client.patch(url, {"url": "https://10.1.2.3/"}, format="json")
    changed = user_client.patch(
        url, {"events": ["session.deleted", "session.created"]}, format="json"
    )

    assert_error(refused, 400, "invalid")
    assert changed.status_code == 200
    assert changed.json()["events"] == ["session.created", "session.deleted"]
    assert changed.json()["url"] == PUBLIC


def test_rotating_keeps_the_old_secret_signing_for_a_day(user_client, user):
    endpoint = EndpointFactory(user=user)
    old = endpoint.secret

    rotated = user_client.post(f"{WEBHOOKS_URL}{endpoint.pk}/rotate/")

    assert rotated.status_code == 200
    body = rotated.json()
    endpoint.refresh_from_db()
    assert body["secret"] == endpoint.secret != old
    assert endpoint.previous_secret == old
    left = endpoint.previous_secret_until - timezone.now()
    assert timedelta(hours=23, minutes=59) < left <= timedelta(days=1)


def test_deleting_takes_the_log_along(user_client, user):
    endpoint = EndpointFactory(user=user)

    deleted = user_client.delete(f"{WEBHOOKS_URL}{endpoint.pk}/")

    assert deleted.status_code == 204
    assert not Endpoint.objects.exists()
    assert user_client.get(f"{WEBHOOKS_URL}{endpoint.pk}/deliveries/").status_code == 404


def test_an_endpoint_paused_hears_nothing_until_enabled(user_client, user):
    endpoint = EndpointFactory(user=user)
    url = f"{WEBHOOKS_URL}{endpoint.pk}/"

    paused = user_client.patch(url, {"enabled": False}, format="json")
    ping = user_client.post(f"{url}ping/")
    enabled = user_client.patch(url, {"enabled": True}, format="json")

    assert (paused.json()["enabled"], paused.json()["disabled_at"] is not None) == (False, True)
    assert_error(ping, 409, "endpoint_disabled")
    assert enabled.json()["enabled"] is True
    assert enabled.json()["disabled_at"] is None


def test_pings_are_throttled_per_person(user_client, user, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "webhook_send", "2/hour")
    endpoint = EndpointFactory(user=user)
    # (The jobs of this test's requests never run: its transaction never commits.)
    answers = [user_client.post(f"{WEBHOOKS_URL}{endpoint.pk}/ping/") for _ in range(3)]

    assert [a.status_code for a in answers[:2]] == [202, 202]
    assert_error(answers[2], 429, "throttled")
    assert Delivery.objects.count() == 2


def test_the_log_is_kept_for_its_days_and_a_delivery_being_tried_stays(user, settings):
    settings.WEBHOOK_LOG_DAYS = 30
    endpoint = EndpointFactory(user=user)
    old, pending, recent = (
        DeliveryFactory(endpoint=endpoint),
        DeliveryFactory(endpoint=endpoint, status="pending", next_attempt_at=timezone.now()),
        DeliveryFactory(endpoint=endpoint),
    )
    Event.objects.filter(pk__in=[old.event_id, pending.event_id]).update(
        created_at=timezone.now() - timedelta(days=31)
    )

    assert tasks.purge_log() == 1
    assert set(Delivery.objects.values_list("pk", flat=True)) == {pending.pk, recent.pk}
