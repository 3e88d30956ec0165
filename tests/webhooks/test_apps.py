"""A connected app's own endpoints: registered with its client id and secret, sent the
events of each person who connected it as far as that person's grant lets it see, and told
when a connection or an account ends."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from hipflex_api.webhooks import services
from hipflex_api.webhooks.events import EventType
from hipflex_api.webhooks.models import Endpoint, Event
from tests.conftest import (
    ME_URL,
    PASSWORD,
    SESSIONS_URL,
    api_client_for,
    as_app,
    session_body,
    upload_session,
)
from tests.factories import (
    AppFactory,
    EndpointFactory,
    ServerAppFactory,
    UserFactory,
    app_token,
)
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOKS_URL = "/api/v1/webhooks/"
# A public address, literally: the checks resolve names.
PUBLIC = "https://93.184.215.14/clinic"
EVERY_SESSION_EVENT = ["session.created", "session.updated", "session.deleted"]


@pytest.fixture
def clinic(db):
    return ServerAppFactory(secret="the-clinics-own-secret-0001")


@pytest.fixture
def clinic_client(clinic):
    return as_app(clinic, "the-clinics-own-secret-0001")


def _told(receiver, count, endpoint):
    """The events the receiver got, each verified as an integrator verifies it."""
    verify = Webhook(endpoint.secret).verify
    return [verify(body, headers) for headers, body, _ in receiver.wait_for(count)]


def _app_endpoint(app, receiver, *events):
    return EndpointFactory(user=None, app=app, url=receiver.url, events=list(events))


def test_an_app_registers_its_own_endpoint_with_its_client_credentials(
    clinic, clinic_client, user_client, user
):
    EndpointFactory(user=user)

    created = clinic_client.post(
        WEBHOOKS_URL, {"url": PUBLIC, "events": ["session.created"]}, format="json"
    )

    assert created.status_code == 201, created.content
    assert created.json()["secret"].startswith("whsec_")
    stored = Endpoint.objects.get(pk=created.json()["id"])
    assert (stored.app, stored.user) == (clinic, None)
    # Each owner sees its own endpoints only.
    assert [e["id"] for e in clinic_client.get(WEBHOOKS_URL).json()["results"]] == [str(stored.pk)]
    assert str(stored.pk) not in {e["id"] for e in user_client.get(WEBHOOKS_URL).json()["results"]}
    assert_error(user_client.get(f"{WEBHOOKS_URL}{stored.pk}/"), 404, "not_found")
    mine = user.webhook_endpoints.get()
    assert_error(clinic_client.get(f"{WEBHOOKS_URL}{mine.pk}/"), 404, "not_found")
    assert_error(clinic_client.delete(f"{WEBHOOKS_URL}{mine.pk}/"), 404, "not_found")
    assert Endpoint.objects.filter(pk=mine.pk).exists()


@pytest.mark.parametrize(
    "credentials",
    [
        "Basic bm90IGJhc2U2NA",  # Not base64 at all ("not base64" with its padding cut).
        "Basic !!!",
    ],
)
def test_malformed_client_credentials_are_a_401(api_client, credentials):
    api_client.credentials(HTTP_AUTHORIZATION=credentials)

    refused = api_client.get(WEBHOOKS_URL)

    assert assert_error(refused, 401, "invalid_client")


def test_a_wrong_secret_or_a_public_app_is_refused(clinic):
    phone_app = AppFactory()

    wrong = as_app(clinic, "not-the-secret").get(WEBHOOKS_URL)
    public = as_app(phone_app, "").get(WEBHOOKS_URL)
    unknown = as_app(AppFactory.build(client_id="no-such-app"), "x").get(WEBHOOKS_URL)

    for refused in (wrong, public, unknown):
        assert assert_error(refused, 401, "invalid_client")
        assert refused["WWW-Authenticate"].startswith("Bearer")


def test_client_credentials_open_nothing_but_the_app_s_webhooks(clinic_client):
    for url in (SESSIONS_URL, ME_URL, "/api/v1/me/connections/"):
        assert clinic_client.get(url).status_code == 401, url


def test_the_endpoint_limit_holds_per_app(clinic, clinic_client, settings):
    settings.MAX_WEBHOOK_ENDPOINTS = 2
    EndpointFactory.create_batch(2, user=None, app=clinic)
    EndpointFactory.create_batch(2, user=None, app=ServerAppFactory())

    refused = clinic_client.post(
        WEBHOOKS_URL, {"url": PUBLIC, "events": ["session.created"]}, format="json"
    )

    assert assert_error(refused, 422, "unprocessable")
    assert "MAX_WEBHOOK_ENDPOINTS" in refused.json()["detail"]
    assert clinic.webhook_endpoints.count() == 2


def test_an_app_asks_only_for_events_its_scopes_could_send(clinic_client, clinic):
    clinic.allowed_scopes = ["sessions:read"]
    clinic.save()

    refused = clinic_client.post(
        WEBHOOKS_URL, {"url": PUBLIC, "events": ["pain.reported"]}, format="json"
    )
    endpoint = EndpointFactory(user=None, app=clinic)
    changed = clinic_client.patch(
        f"{WEBHOOKS_URL}{endpoint.pk}/", {"events": ["pain.reported"]}, format="json"
    )

    for answer in (refused, changed):
        [error] = assert_error(answer, 400, "invalid")["errors"]
        assert error["field"] == "events"
        assert "pain:read" in error["message"]
    endpoint.refresh_from_db()
    assert endpoint.events == ["session.created"]
    assert not clinic.webhook_endpoints.exclude(pk=endpoint.pk).exists()


def test_a_person_cannot_subscribe_to_what_only_apps_hear(user_client):
    for kind in ("connection.revoked", "account.deleted"):
        refused = user_client.post(WEBHOOKS_URL, {"url": PUBLIC, "events": [kind]}, format="json")

        [error] = assert_error(refused, 400, "invalid")["errors"]
        assert (error["field"], kind in error["message"]) == ("events", True)
    assert not Endpoint.objects.exists()


def test_an_app_hears_a_person_s_sessions_only_with_sessions_read(
    user_client, user, king_runner, clinic, receiver
):
    endpoint = _app_endpoint(clinic, receiver, *EVERY_SESSION_EVENT)
    app_token(user, "sessions:read", app=clinic)
    catalog_only = ServerAppFactory()
    app_token(user, "catalog:read", app=catalog_only)
    _app_endpoint(catalog_only, receiver, *EVERY_SESSION_EVENT)
    # An app nobody connected hears no one.
    _app_endpoint(ServerAppFactory(), receiver, *EVERY_SESSION_EVENT)
    stranger = UserFactory()
    app_token(stranger, "sessions:read", app=clinic)

    session_id = upload_session(user_client, king_runner)
    [told] = _told(receiver, 1, endpoint)

    assert told["type"] == "session.created"
    assert told["data"]["id"] == session_id
    assert told["data"]["user"] == user.pk
    assert Event.objects.get().deliveries.get().endpoint == endpoint


def test_a_disconnected_app_hears_nothing_more(user_client, user, king_runner, clinic, receiver):
    _app_endpoint(clinic, receiver, "session.created")
    app_token(user, "sessions:read", app=clinic)
    user_client.delete(f"/api/v1/me/connections/{clinic.pk}/")
    receiver.requests.clear()

    upload_session(user_client, king_runner)

    assert not Event.objects.filter(type="session.created").exists()
    assert receiver.requests == []


def _painful_body(exercise, *pains, **overrides):
    sides = ["left", "right"]
    sets = [
        {"exercise": exercise.slug, "side": sides[i % 2], "reps": 10, "pain": pain}
        for i, pain in enumerate(pains)
    ]
    return session_body(exercise, sets=sets, **overrides)


def test_pain_at_the_threshold_is_reported_to_whom_may_see_pain(
    user_client, user, king_runner, clinic, receiver, settings
):
    settings.REVIEW = {**settings.REVIEW, "PAIN_THRESHOLD": 3}
    endpoint = _app_endpoint(clinic, receiver, "pain.reported")
    app_token(user, "sessions:read", "pain:read", app=clinic)
    without_pain = ServerAppFactory()
    app_token(user, "sessions:read", app=without_pain)
    _app_endpoint(without_pain, receiver, "pain.reported")

    created = user_client.post(SESSIONS_URL, _painful_body(king_runner, 1, 3, 2), format="json")
    [told] = _told(receiver, 1, endpoint)

    assert created.status_code == 201, created.content
    assert told["type"] == "pain.reported"
    assert told["data"]["id"] == created.json()["id"]
    assert told["data"]["user"] == user.pk
    assert told["data"]["sets"] == [{"exercise": king_runner.slug, "side": "right", "pain": 3}]
    assert Event.objects.get(type="pain.reported").deliveries.count() == 1


def test_pain_is_reported_once_however_often_the_session_is_saved(
    user_client, user, king_runner, receiver, settings
):
    settings.REVIEW = {**settings.REVIEW, "PAIN_THRESHOLD": 3}
    endpoint = EndpointFactory(user=user, url=receiver.url, events=["pain.reported"])
    body = _painful_body(king_runner, 4, 0)
    session_id = user_client.post(SESSIONS_URL, body, format="json").json()["id"]
    url = f"{SESSIONS_URL}{session_id}/"

    # The same sets again, and a note: nothing new to report.
    again = user_client.put(url, {**body, "notes": "felt it"}, format="json")
    noted = user_client.patch(url, {"notes": "felt it more"}, format="json")
    # A second painful set is new.
    worse = user_client.put(url, _painful_body(king_runner, 4, 5), format="json")
    told = _told(receiver, 2, endpoint)

    assert (again.status_code, noted.status_code, worse.status_code) == (200, 200, 200)
    assert [event["data"]["sets"] for event in told] == [
        [{"exercise": king_runner.slug, "side": "left", "pain": 4}],
        [{"exercise": king_runner.slug, "side": "right", "pain": 5}],
    ]
    assert Event.objects.filter(type="pain.reported").count() == 2


def test_revoking_a_connection_tells_that_app(user_client, user, clinic, receiver):
    endpoint = _app_endpoint(clinic, receiver, "connection.revoked")
    app_token(user, "sessions:read", app=clinic)
    other_app = ServerAppFactory()
    app_token(user, "sessions:read", app=other_app)
    _app_endpoint(other_app, receiver, "connection.revoked")

    revoked = user_client.delete(f"/api/v1/me/connections/{clinic.pk}/")
    [told] = _told(receiver, 1, endpoint)

    assert revoked.status_code == 204
    assert told["type"] == "connection.revoked"
    assert told["data"] == {"user": user.pk, "reason": "revoked"}
    assert Event.objects.get().deliveries.get().endpoint == endpoint


def test_a_new_password_tells_every_connected_app(user, clinic, receiver):
    endpoint = _app_endpoint(clinic, receiver, "connection.revoked")
    app_token(user, "sessions:read", app=clinic)

    changed = api_client_for(user).post(
        f"{ME_URL}password/",
        {"old_password": PASSWORD, "new_password": "a-brand-new-password-77"},
        format="json",
    )
    [told] = _told(receiver, 1, endpoint)

    assert changed.status_code == 200, changed.content
    assert told["data"] == {"user": user.pk, "reason": "password_changed"}


def test_a_deleted_account_is_told_to_its_apps_and_its_own_events_go(
    user_client, user, king_runner, clinic, receiver
):
    endpoint = _app_endpoint(clinic, receiver, "session.created", "account.deleted")
    app_token(user, "sessions:read", app=clinic)
    upload_session(user_client, king_runner)
    receiver.wait_for(1)
    person = user.pk

    deleted = user_client.delete(ME_URL, {"password": PASSWORD}, format="json")
    told = _told(receiver, 2, endpoint)

    assert deleted.status_code == 204, deleted.content
    assert told[1]["type"] == "account.deleted"
    assert told[1]["data"] == {"user": person}
    # What the account logged goes with it; only its end is kept, naming no account.
    [kept] = Event.objects.all()
    assert (kept.type, kept.user_id) == ("account.deleted", None)


def test_an_app_pings_its_endpoint_and_reads_its_log(clinic, clinic_client, receiver):
    endpoint = _app_endpoint(clinic, receiver, "session.created")

    pinged = clinic_client.post(f"{WEBHOOKS_URL}{endpoint.pk}/ping/")
    [told] = _told(receiver, 1, endpoint)
    log = clinic_client.get(f"{WEBHOOKS_URL}{endpoint.pk}/deliveries/")

    assert pinged.status_code == 202, pinged.content
    assert told["data"] == {"endpoint": str(endpoint.pk)}
    assert [d["status"] for d in log.json()["results"]] == ["delivered"]


def test_a_failing_app_endpoint_is_disabled_and_its_owner_mailed(clinic, receiver, settings):
    settings.WEBHOOK_RETRY_SECONDS = []
    clinic.user = UserFactory(email="owner@clinic.example")
    clinic.save()
    person = UserFactory()
    app_token(person, "sessions:read", app=clinic)
    endpoint = _app_endpoint(clinic, receiver, "session.created")
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=2))
    receiver.stop()

    with transaction.atomic():
        services.emit(user_id=person.pk, type=EventType.SESSION_CREATED, data={})

    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    [sent] = mail.outbox
    assert sent.to == ["owner@clinic.example"]
    assert clinic.name in sent.body
