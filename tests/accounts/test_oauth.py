"""Third-party apps: a person connects one on the server's own pages (authorization code with
PKCE), grants pain apart, and the app's tokens reach only what the scopes say."""

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from hipflex_api.accounts.models import App, PersonalToken
from sessions.models import WorkoutSession
from tests.conftest import (
    ME_URL,
    SESSIONS_URL,
    STATS_URL,
    api_client_for,
    bearer,
    browser_for,
    login,
)
from tests.factories import (
    PASSWORD,
    AppFactory,
    SetLogFactory,
    UserFactory,
    WorkoutSessionFactory,
    app_token,
)
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

AUTHORIZE_URL = "/o/authorize/"
TOKEN_URL = "/o/token/"
REVOKE_URL = "/o/revoke_token/"
SIGN_IN_URL = "/o/sign-in/"
CALLBACK = "https://tracker.example/callback"


@pytest.fixture
def app(db):
    return AppFactory(name="Stride Tracker", redirect_uris=CALLBACK)


@pytest.fixture
def person(db):
    person = UserFactory(email="ann@example.com")
    SetLogFactory(session=WorkoutSessionFactory(user=person), pain=4, side="right")
    return person


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize_query(app, scope, challenge, **extra):
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": CALLBACK,
        "scope": scope,
        "state": "s-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def _consent_page(browser, app, scope, challenge, **extra):
    return browser.get(AUTHORIZE_URL, _authorize_query(app, scope, challenge, **extra))


def _hidden_fields(response):
    form = response.context["form"]
    return {
        name: form.initial.get(name) or ""
        for name, field in form.fields.items()
        if field.widget.is_hidden
    }


def _connect(app, person, scope, *, health=False):
    """Sign in, consent and exchange the code: the token endpoint's answer."""
    verifier, challenge = _pkce()
    browser = Client()
    start = _consent_page(browser, app, scope, challenge)
    assert start.status_code == 302, start
    assert start.url.startswith(SIGN_IN_URL)
    signed_in = browser.post(
        start.url, {"username": person.email, "password": PASSWORD}, follow=False
    )
    assert signed_in.status_code == 302, signed_in.content.decode()
    page = browser.get(signed_in.url)
    assert page.status_code == 200, page.content.decode()
    body = {**_hidden_fields(page), "allow": "Authorize"} | ({"health": "on"} if health else {})
    consented = browser.post(AUTHORIZE_URL, body)
    assert consented.status_code == 302, consented.content.decode()
    back = urlsplit(consented.url)
    query = parse_qs(back.query)
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    assert query["state"] == ["s-123"]
    return Client().post(
        TOKEN_URL,
        {
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
    )


def test_the_consent_page_names_the_app_and_says_what_each_scope_shows(app, person):
    browser = Client()
    browser.force_login(person)
    _, challenge = _pkce()

    page = _consent_page(browser, app, "sessions:read pain:read", challenge)

    html = page.content.decode()
    assert page.status_code == 200
    assert "Connect Stride Tracker to your account?" in html
    assert "See the sessions you log" in html
    assert "not the pain you report" in html
    # Health data is asked for on its own, unticked.
    assert "Also share the pain I report (health data)" in html
    assert 'name="health"' in html
    assert "checked" not in html


def test_connecting_without_pain_gives_sessions_with_the_pain_left_out(app, person):
    answer = _connect(app, person, "sessions:read pain:read")

    assert answer.status_code == 200, answer.content
    tokens = answer.json()
    assert set(tokens) >= {"access_token", "refresh_token", "expires_in", "scope"}
    assert tokens["scope"] == "sessions:read"
    # The server keeps digests of the tokens, never the tokens.
    assert not AccessToken.objects.exclude(token="").exists()
    assert not RefreshToken.objects.exclude(token="").exists()
    listed = bearer(tokens["access_token"]).get(SESSIONS_URL)
    assert listed.status_code == 200, listed.content
    [session] = listed.json()["results"]
    [one_set] = session["sets"]
    assert "pain" not in one_set
    assert "perceived_effort" not in session
    assert one_set["side"] == "right"


def test_connecting_with_pain_ticked_gives_the_pain_too(app, person):
    answer = _connect(app, person, "sessions:read pain:read", health=True)

    assert answer.json()["scope"] == "sessions:read pain:read"
    listed = bearer(answer.json()["access_token"]).get(SESSIONS_URL).json()
    assert listed["results"][0]["sets"][0]["pain"] == 4


def test_the_persons_own_client_still_sees_the_pain_after_an_app_did_not(app, person):
    token = app_token(person, "sessions:read")
    assert "pain" not in bearer(token).get(SESSIONS_URL).json()["results"][0]["sets"][0]

    own = login(person.email).json()["access"]

    assert bearer(own).get(SESSIONS_URL).json()["results"][0]["sets"][0]["pain"] == 4


def test_a_token_without_the_scope_gets_403_naming_it(person):
    token = app_token(person, "sessions:read")

    response = bearer(token).get(STATS_URL)

    assert assert_error(response, 403, "insufficient_scope")
    assert "`stats:read`" in response.json()["detail"]


def test_an_operation_for_the_persons_own_clients_refuses_every_app_token(person):
    token = app_token(person, "sessions:read", "sessions:write", "profile:read", "stats:read")

    for response in (
        bearer(token).delete(ME_URL, {"password": PASSWORD}, format="json"),
        bearer(token).get("/api/v1/me/export/"),
        bearer(token).post("/api/v1/me/password/", {}, format="json"),
    ):
        assert assert_error(response, 403, "first_party_only")
    assert type(person).objects.filter(pk=person.pk).exists()


def test_without_pkce_no_code_is_given(app, person):
    browser = Client()
    browser.force_login(person)

    page = browser.get(
        AUTHORIZE_URL,
        {k: v for k, v in _authorize_query(app, "sessions:read", "x").items() if "code_" not in k},
    )

    assert page.status_code == 302
    assert parse_qs(urlsplit(page.url).query)["error"] == ["invalid_request"]


@pytest.mark.parametrize("response_type", ["token", "id_token"])
def test_the_implicit_grant_is_refused(app, person, response_type):
    browser = Client()
    browser.force_login(person)
    _, challenge = _pkce()

    page = _consent_page(browser, app, "sessions:read", challenge, response_type=response_type)

    assert page.status_code in {302, 400}
    text = page.url if page.status_code == 302 else page.content.decode()
    assert "unsupported_response_type" in text or "unauthorized_client" in text


def test_the_password_grant_is_refused(app, person):
    answer = Client().post(
        TOKEN_URL,
        {
            "grant_type": "password",
            "username": person.email,
            "password": PASSWORD,
            "client_id": app.client_id,
        },
    )

    assert answer.status_code in {400, 401}
    assert answer.json()["error"] in {"unsupported_grant_type", "unauthorized_client"}
    assert not AccessToken.objects.exists()


def test_an_app_asks_only_for_the_scopes_staff_allowed_it(person):
    app = AppFactory(redirect_uris=CALLBACK, allowed_scopes=["catalog:read"])
    browser = Client()
    browser.force_login(person)
    _, challenge = _pkce()

    page = _consent_page(browser, app, "sessions:read", challenge)

    assert page.status_code == 302
    assert parse_qs(urlsplit(page.url).query)["error"] == ["invalid_scope"]


def test_a_refresh_token_works_once_and_its_reuse_ends_the_chain(app, person):
    first = _connect(app, person, "sessions:read").json()

    def refresh(token):
        body = {"grant_type": "refresh_token", "refresh_token": token, "client_id": app.client_id}
        return Client().post(TOKEN_URL, body)

    second = refresh(first["refresh_token"])
    assert second.status_code == 200, second.content
    assert second.json()["refresh_token"] != first["refresh_token"]
    replayed = refresh(first["refresh_token"])

    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"
    # The replay revoked what the chain had issued since.
    assert bearer(second.json()["access_token"]).get(SESSIONS_URL).status_code == 401
    assert not RefreshToken.objects.filter(revoked__isnull=True, user=person).exists()


def test_a_revoked_token_is_refused_at_once(app, person):
    tokens = _connect(app, person, "sessions:read").json()

    revoked = Client().post(
        REVOKE_URL, {"token": tokens["access_token"], "client_id": app.client_id}
    )

    assert revoked.status_code == 200
    assert assert_error(bearer(tokens["access_token"]).get(SESSIONS_URL), 401, "token_not_valid")


def test_wrong_passwords_at_the_sign_in_count_with_the_apis_logins(person, settings):
    browser = Client()
    wrong = {"username": person.email, "password": "not-the-password"}
    for _ in range(10):
        page = browser.post(SIGN_IN_URL, wrong)
        assert page.status_code == 200

    locked = browser.post(SIGN_IN_URL, {"username": person.email, "password": PASSWORD})

    assert "signing in here is paused" in locked.content.decode()
    assert "_auth_user_id" not in browser.session


def test_staff_register_an_app_in_the_admin_with_the_scopes_it_may_ask_for(db):
    admin = browser_for(UserFactory(is_staff=True, is_superuser=True))
    add_url = "/admin/accounts/app/add/"
    assert "pain:read: See the pain you report" in admin.get(add_url).content.decode()

    saved = admin.post(
        add_url,
        {
            "name": "Clinic portal",
            "client_type": "confidential",
            "redirect_uris": "https://clinic.example/back",
            "allowed_scopes": ["sessions:read", "stats:read"],
            "client_id": "clinic-portal",
            "client_secret": "a-long-secret-the-clinic-keeps-to-itself",
            "hash_client_secret": "on",
        },
    )

    assert saved.status_code == 302, saved.content.decode()
    app = App.objects.get(client_id="clinic-portal")
    assert app.allowed_scopes == ["sessions:read", "stats:read"]
    assert app.authorization_grant_type == "authorization-code"
    assert app.client_secret != "a-long-secret-the-clinic-keeps-to-itself"  # Kept hashed.


CONNECTIONS_URL = "/api/v1/me/connections/"


def test_a_person_lists_the_apps_they_connected_and_disconnects_one_at_once(app, person):
    tokens = _connect(app, person, "sessions:read stats:read").json()
    other = AppFactory(name="Sleep Diary")
    app_token(person, "profile:read", app=other)
    own = api_client_for(person)

    listed = own.get(CONNECTIONS_URL)

    assert listed.status_code == 200
    assert [(c["name"], c["scopes"]) for c in listed.json()["results"]] == [
        ("Sleep Diary", ["profile:read"]),
        ("Stride Tracker", ["sessions:read", "stats:read"]),
    ]
    assert own.delete(f"{CONNECTIONS_URL}{app.pk}/").status_code == 204
    assert assert_error(bearer(tokens["access_token"]).get(SESSIONS_URL), 401, "token_not_valid")
    refreshed = Client().post(
        TOKEN_URL,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert refreshed.json()["error"] == "invalid_grant"
    assert [c["name"] for c in own.get(CONNECTIONS_URL).json()["results"]] == ["Sleep Diary"]
    assert assert_error(own.delete(f"{CONNECTIONS_URL}{app.pk}/"), 404, "not_found")


def test_another_persons_connection_is_404_and_stays(app, person):
    token = app_token(person, "sessions:read", app=app)

    response = api_client_for(UserFactory()).delete(f"{CONNECTIONS_URL}{app.pk}/")

    assert assert_error(response, 404, "not_found")
    assert bearer(token).get(SESSIONS_URL).status_code == 200


TOKENS_URL = "/api/v1/me/tokens/"


def _make_token(client, **body):
    body = {"name": "Weekly chart", "scopes": ["stats:read"], **body}
    return client.post(TOKENS_URL, body, format="json")


def test_a_personal_token_is_shown_once_and_reaches_its_scopes_only(person):
    own = api_client_for(person)

    made = _make_token(own, expires_in_days=7)

    assert made.status_code == 201, made.content
    token = made.json()
    assert token["token"].startswith("hfpat_")
    assert (token["name"], token["scopes"]) == ("Weekly chart", ["stats:read"])
    assert bearer(token["token"]).get(STATS_URL).status_code == 200
    assert assert_error(bearer(token["token"]).get(SESSIONS_URL), 403, "insufficient_scope")
    # A token cannot make another, and its value is nowhere to read again.
    assert assert_error(_make_token(bearer(token["token"])), 403, "first_party_only")
    [listed] = own.get(TOKENS_URL).json()["results"]
    assert "token" not in listed
    assert "token" not in own.get(f"{TOKENS_URL}{token['id']}/").json()
    assert not AccessToken.objects.exclude(token="").exists()


def test_a_revoked_personal_token_is_refused_at_once(person):
    own = api_client_for(person)
    token = _make_token(own).json()

    assert own.delete(f"{TOKENS_URL}{token['id']}/").status_code == 204

    assert assert_error(bearer(token["token"]).get(STATS_URL), 401, "token_not_valid")
    assert own.get(TOKENS_URL).json()["results"] == []


def test_a_personal_token_expires(person):
    token = _make_token(api_client_for(person), expires_in_days=1).json()

    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        response = bearer(token["token"]).get(STATS_URL)

    assert assert_error(response, 401, "token_not_valid")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": ["sessions:delete"]}, "scopes.0"),
        ({"scopes": ["stats:read", "stats:read"]}, "scopes"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 366}, "expires_in_days"),
        ({"name": ""}, "name"),
    ],
    ids=["no-scope", "unknown-scope", "twice", "no-days", "past-a-year", "no-name"],
)
def test_a_personal_token_it_cannot_make_is_a_400_naming_the_field(person, body, field):
    response = _make_token(api_client_for(person), **body)

    assert assert_error(response, 400, "invalid")
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not PersonalToken.objects.exists()


def test_one_name_per_token_and_at_most_max_personal_tokens(person, settings):
    settings.MAX_PERSONAL_TOKENS = 2
    own = api_client_for(person)
    assert _make_token(own).status_code == 201

    again = _make_token(own)
    _make_token(own, name="Backup")
    third = _make_token(own, name="One more")

    assert assert_error(again, 400, "invalid")
    assert again.json()["errors"][0]["field"] == "name"
    assert assert_error(third, 422, "unprocessable")
    assert "MAX_PERSONAL_TOKENS" in third.json()["detail"]
    assert PersonalToken.objects.filter(user=person).count() == 2


def test_another_persons_token_is_404_and_keeps_working(person):
    token = _make_token(api_client_for(person)).json()
    stranger = api_client_for(UserFactory())

    assert assert_error(stranger.get(f"{TOKENS_URL}{token['id']}/"), 404, "not_found")
    assert assert_error(stranger.delete(f"{TOKENS_URL}{token['id']}/"), 404, "not_found")
    assert bearer(token["token"]).get(STATS_URL).status_code == 200


def test_an_app_asking_for_pain_alone_gets_nothing_when_pain_is_not_ticked(app, person):
    browser = Client()
    browser.force_login(person)
    _, challenge = _pkce()
    query = _authorize_query(app, "pain:read", challenge)
    page = browser.get(AUTHORIZE_URL, query)

    # Posted back as a browser posts the form: to the page's own URL, query and all.
    refused = browser.post(
        f"{AUTHORIZE_URL}?{urlencode(query)}", {**_hidden_fields(page), "allow": "Authorize"}
    )

    assert refused.status_code == 302
    assert parse_qs(urlsplit(refused.url).query)["error"] == ["access_denied"]
    assert not Grant.objects.exists()


def test_an_app_tokens_odd_query_is_a_400_not_a_500(person):
    token = app_token(person, "sessions:read")

    response = bearer(token).get(SESSIONS_URL, {"started_after": "[", "x": "%zz"})

    assert response.status_code == 400, response.content


def test_an_app_without_pain_may_not_replace_a_sessions_sets_but_may_change_its_notes(person):
    session = WorkoutSession.objects.get(user=person)
    url = f"{SESSIONS_URL}{session.pk}/"
    token = app_token(person, "sessions:read", "sessions:write")
    body = bearer(token).get(url).json()
    sets = [{k: v for k, v in s.items() if k != "pain"} for s in body["sets"]]

    replaced = bearer(token).patch(url, {"sets": sets}, format="json", headers={"If-Match": '"1"'})
    noted = bearer(token).patch(
        url, {"notes": "Felt fine."}, format="json", headers={"If-Match": '"1"'}
    )

    assert assert_error(replaced, 403, "insufficient_scope")
    assert "`pain:read`" in replaced.json()["detail"]
    assert noted.status_code == 200, noted.content
    session.refresh_from_db()
    assert session.sets.get().pain == 4
    with_pain = app_token(person, "sessions:write", "pain:read")
    assert bearer(with_pain).patch(url, {"sets": sets}, format="json").status_code == 200


def test_a_new_password_ends_the_apps_and_the_personal_tokens_too(app, person):
    own = api_client_for(person)
    connected = app_token(person, "sessions:read", app=app)
    script = _make_token(own).json()["token"]

    changed = own.post(
        "/api/v1/me/password/",
        {"old_password": PASSWORD, "new_password": "a-brand-new-password-77"},
        format="json",
    )

    assert changed.status_code == 200, changed.content
    for token in (connected, script):
        assert assert_error(bearer(token).get(STATS_URL), 401, "token_not_valid")
    assert own.get(CONNECTIONS_URL).json()["results"] == []


def test_a_resource_server_introspects_a_token_with_its_own_credentials(app, person):
    secret = "the-resource-servers-own-secret-42"
    server = AppFactory(
        name="Clinic API", client_type=App.CLIENT_CONFIDENTIAL, client_secret=secret
    )
    basic = "Basic " + base64.b64encode(f"{server.client_id}:{secret}".encode()).decode()
    tokens = _connect(app, person, "sessions:read").json()

    def introspect(token, authorization=basic):
        return Client().post(
            "/o/introspect/", {"token": token}, headers={"Authorization": authorization}
        )

    live = introspect(tokens["access_token"])
    stranger = introspect(
        tokens["access_token"], authorization="Basic " + base64.b64encode(b"x:y").decode()
    )
    Client().post(REVOKE_URL, {"token": tokens["access_token"], "client_id": app.client_id})
    revoked = introspect(tokens["access_token"])

    assert live.status_code == 200
    assert (live.json()["active"], live.json()["scope"]) == (True, "sessions:read")
    assert stranger.status_code in {401, 403}
    assert "active" not in stranger.content.decode()
    assert revoked.json() == {"active": False}
