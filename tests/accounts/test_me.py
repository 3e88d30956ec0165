"""The caller's own account: profile, password, export and deletion, with real JWTs."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from hipflex_api.accounts.models import User
from hipflex_api.idempotency.models import IdempotencyRecord
from sessions.models import SetLog, WorkoutSession
from tests.accounts.conftest import PROFILE_KEYS
from tests.conftest import ME_URL, REFRESH_URL, STRONG_PASSWORD, bearer, login
from tests.factories import (
    PASSWORD,
    ExerciseFactory,
    IdempotencyRecordFactory,
    SetLogFactory,
    UserFactory,
    WorkoutSessionFactory,
)
from tests.helpers import assert_error, body_of, error_fields, json_of

pytestmark = pytest.mark.django_db

PASSWORD_URL = f"{ME_URL}password/"
EXPORT_URL = f"{ME_URL}export/"


def refresh_status(refresh):
    return APIClient().post(REFRESH_URL, {"refresh": refresh}).status_code


# Authentication


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", ME_URL),
        ("patch", ME_URL),
        ("delete", ME_URL),
        ("post", PASSWORD_URL),
        ("get", EXPORT_URL),
    ],
)
def test_anonymous_request_is_401_with_bearer_challenge(api_client, user, method, url):
    body = None if method == "get" else {"password": PASSWORD}  # A GET's would be a query.
    response = getattr(api_client, method)(url, body)

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert User.objects.filter(pk=user.pk).exists()


def test_expired_access_token_is_401(user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))

    response = bearer(str(token)).get(ME_URL)

    assert_error(response, 401, "token_not_valid")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_access_token_with_forged_user_id_is_401(user, tokens):
    victim = UserFactory()
    token = AccessToken(tokens["access"])
    token["user_id"] = str(victim.pk)
    # Keep the real signature over a payload that now names someone else.
    header, _, signature = tokens["access"].split(".")
    forged_payload = str(token).split(".")[1]
    forged = f"{header}.{forged_payload}.{signature}"
    assert forged != tokens["access"]

    assert_error(bearer(forged).get(ME_URL), 401, "token_not_valid")


def test_access_token_with_altered_signature_is_401(tokens):
    header, payload, signature = tokens["access"].split(".")
    altered = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]

    assert_error(bearer(f"{header}.{payload}.{altered}").get(ME_URL), 401, "token_not_valid")


def test_refresh_token_is_not_accepted_as_access(tokens):
    assert_error(bearer(tokens["refresh"]).get(ME_URL), 401, "token_not_valid")


# Profile


def test_get_profile(bearer_client, user):
    response = bearer_client.get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_KEYS
    assert body["id"] == user.pk
    assert body["email"] == user.email
    assert body["display_name"] == ""
    assert body["time_zone"] == "UTC"
    assert body["preferred_units"] == "metric"


def test_patch_changes_profile_fields(bearer_client, user):
    response = bearer_client.patch(
        ME_URL,
        {
            "display_name": "Ann Trainer",
            "time_zone": "Europe/Berlin",
            "preferred_units": "imperial",
        },
    )

    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == "Ann Trainer"
    user.refresh_from_db()
    assert user.display_name == "Ann Trainer"
    assert user.time_zone == "Europe/Berlin"
    assert user.preferred_units == "imperial"


def test_patch_one_field_leaves_the_others(bearer_client, user):
    User.objects.filter(pk=user.pk).update(time_zone="Asia/Tokyo")

    response = bearer_client.patch(ME_URL, {"preferred_units": "imperial"})

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"
    assert user.preferred_units == "imperial"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"time_zone": "Europe/Nowhere"}, "time_zone"),
        ({"time_zone": "localtime"}, "time_zone"),
        ({"time_zone": "posixrules"}, "time_zone"),
        ({"time_zone": "Factory"}, "time_zone"),
        ({"time_zone": "posix/Europe/Berlin"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"preferred_units": "stones"}, "preferred_units"),
        ({"display_name": "x" * 151}, "display_name"),
        ({"display_name": "A\x00B"}, "display_name"),
    ],
    ids=[
        "unknown-zone",
        "the-machines-own-zone",
        "a-zone-file-not-a-zone",
        "the-placeholder-for-no-zone",
        "a-copy-of-a-zone",
        "blank-zone",
        "unknown-units",
        "long-name",
        "nul-in-name",
    ],
)
def test_patch_invalid_value_is_400_and_saves_nothing(bearer_client, user, payload, field):
    response = bearer_client.patch(
        ME_URL, {**payload, "display_name": payload.get("display_name", "Kept")}
    )

    assert_error(response, 400, "invalid")
    assert field in error_fields(response)
    user.refresh_from_db()
    assert user.display_name == ""
    assert user.time_zone == "UTC"
    assert user.preferred_units == "metric"


@pytest.mark.parametrize("zone", ["America/Argentina/Buenos_Aires", "Asia/Calcutta", "Etc/GMT+5"])
def test_any_iana_zone_name_is_a_time_zone_old_names_included(bearer_client, user, zone):
    assert bearer_client.patch(ME_URL, {"time_zone": zone}).status_code == 200
    user.refresh_from_db()
    assert user.time_zone == zone


def test_patch_cannot_change_email_or_id(bearer_client, user):
    original_email, original_id = user.email, user.pk

    response = bearer_client.patch(
        ME_URL, {"email": "hijack@example.com", "id": original_id + 1000}
    )

    assert response.status_code == 200, response.content
    assert response.json()["email"] == original_email
    assert response.json()["id"] == original_id
    user.refresh_from_db()
    assert user.email == original_email
    assert not User.objects.filter(email="hijack@example.com").exists()
    assert not User.objects.filter(pk=original_id + 1000).exists()


def test_put_is_405(bearer_client):
    response = bearer_client.put(ME_URL, {"display_name": "X"})

    assert_error(response, 405, "method_not_allowed")


# Password change


def test_wrong_old_password_is_400(bearer_client, user):
    response = bearer_client.post(
        PASSWORD_URL, {"old_password": "nope", "new_password": STRONG_PASSWORD}
    )

    assert_error(response, 400, "invalid")
    assert error_fields(response) == {"old_password"}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "new_password",
    ["short1!", "password", "8472916350", "{email}"],
    ids=["too-short", "too-common", "numeric", "same-as-email"],
)
def test_weak_new_password_is_400(bearer_client, user, tokens, new_password):
    response = bearer_client.post(
        PASSWORD_URL,
        {"old_password": PASSWORD, "new_password": new_password.format(email=user.email)},
    )

    assert_error(response, 400, "invalid")
    assert error_fields(response) == {"new_password"}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert refresh_status(tokens["refresh"]) == 200


def test_password_change_missing_fields_is_400(bearer_client):
    response = bearer_client.post(PASSWORD_URL, {})

    assert_error(response, 400, "invalid")
    assert error_fields(response) == {"old_password", "new_password"}


def test_password_change_swaps_password_and_revokes_earlier_refresh_tokens(
    bearer_client, user, tokens
):
    rotated = APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}).json()["refresh"]
    other_device = login(user.email).json()["refresh"]

    response = bearer_client.post(
        PASSWORD_URL, {"old_password": PASSWORD, "new_password": STRONG_PASSWORD}
    )

    assert response.status_code == 200, response.content
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    assert bearer(fresh["access"]).get(ME_URL).status_code == 200
    assert refresh_status(fresh["refresh"]) == 200
    assert refresh_status(rotated) == 401
    assert refresh_status(other_device) == 401
    assert login(user.email, STRONG_PASSWORD).status_code == 200
    assert_error(login(user.email, PASSWORD), 401, "no_active_account")


# Export


def test_export_holds_own_live_sessions_with_their_sets(bearer_client, user):
    stretch = ExerciseFactory(slug="king-runner")
    first = WorkoutSessionFactory(user=user, notes="Morning")
    SetLogFactory(session=first, exercise=stretch, position=0, reps=8)
    SetLogFactory(session=first, exercise=stretch, position=1, side="right", reps=9)
    second = WorkoutSessionFactory(
        user=user, started_at=timezone.now() - timedelta(days=2), ended_at=None
    )
    tombstone = WorkoutSessionFactory(user=user, deleted_at=timezone.now())
    strangers = WorkoutSessionFactory(user=UserFactory())
    SetLogFactory(session=strangers, exercise=stretch)

    response = bearer_client.get(EXPORT_URL)

    assert response.status_code == 200
    body = json_of(response)
    assert set(body) == {"user", "exported_at", "trainers", "clients", "assignments", "sessions"}
    assert body["user"]["id"] == user.pk
    assert set(body["user"]) == PROFILE_KEYS
    assert body["exported_at"]
    by_id = {session["id"]: session for session in body["sessions"]}
    assert set(by_id) == {str(first.pk), str(second.pk)}
    assert str(tombstone.pk) not in by_id
    assert str(strangers.pk) not in by_id
    assert by_id[str(first.pk)]["notes"] == "Morning"
    assert [(s["exercise"], s["side"], s["reps"]) for s in by_id[str(first.pk)]["sets"]] == [
        ("king-runner", "left", 8),
        ("king-runner", "right", 9),
    ]
    assert by_id[str(second.pk)]["sets"] == []


def test_export_of_a_new_account_has_no_sessions(bearer_client, user):
    response = bearer_client.get(EXPORT_URL)

    assert response.status_code == 200
    assert json_of(response)["sessions"] == []


def test_export_query_count_does_not_grow_with_sessions(bearer_client, user):
    def export_queries():
        with CaptureQueriesContext(connection) as queries:
            body_of(bearer_client.get(EXPORT_URL))  # The queries run as the body streams.
        return len(queries)

    exercise = ExerciseFactory()
    SetLogFactory(session=WorkoutSessionFactory(user=user), exercise=exercise)
    with_one = export_queries()
    for _ in range(4):
        session = WorkoutSessionFactory(user=user)
        SetLogFactory(session=session, exercise=exercise, position=0)
        SetLogFactory(session=session, exercise=ExerciseFactory(), position=1)

    assert export_queries() == with_one


# Account deletion


@pytest.fixture
def logged_data(user):
    """Sessions, sets and idempotency records for the user and for a bystander."""
    exercise = ExerciseFactory()
    bystander = UserFactory()
    for owner in (user, bystander):
        for _ in range(2):
            session = WorkoutSessionFactory(user=owner)
            SetLogFactory(session=session, exercise=exercise, position=0)
            SetLogFactory(session=session, exercise=exercise, position=1)
        WorkoutSessionFactory(user=owner, deleted_at=timezone.now())
        IdempotencyRecordFactory(user=owner)
    return bystander


def _row_counts(owner):
    return (
        WorkoutSession.objects.filter(user=owner).count(),
        SetLog.objects.filter(session__user=owner).count(),
        IdempotencyRecord.objects.filter(user=owner).count(),
    )


@pytest.mark.parametrize(
    "payload", [{"password": "wrong"}, {}, None], ids=["wrong", "missing", "no-body"]
)
def test_delete_without_the_right_password_is_400_and_deletes_nothing(
    bearer_client, user, tokens, logged_data, payload
):
    response = bearer_client.delete(ME_URL, payload)

    assert_error(response, 400, "invalid")
    assert error_fields(response) == {"password"}
    assert User.objects.filter(pk=user.pk).exists()
    assert _row_counts(user) == (3, 4, 1)
    assert refresh_status(tokens["refresh"]) == 200


def test_delete_removes_account_and_everything_it_logged(bearer_client, user, tokens, logged_data):
    bystander = logged_data
    user_id = user.pk

    response = bearer_client.delete(ME_URL, {"password": PASSWORD})

    assert response.status_code == 204, response.content
    assert response.content == b""
    assert not User.objects.filter(pk=user_id).exists()
    assert WorkoutSession.objects.filter(user_id=user_id).count() == 0
    assert SetLog.objects.filter(session__user_id=user_id).count() == 0
    assert IdempotencyRecord.objects.filter(user_id=user_id).count() == 0
    assert _row_counts(bystander) == (3, 4, 1)
    assert User.objects.filter(pk=bystander.pk).exists()


def test_delete_ends_every_token_of_the_account(bearer_client, user, tokens):
    other_device = login(user.email).json()

    assert bearer_client.delete(ME_URL, {"password": PASSWORD}).status_code == 204

    assert refresh_status(tokens["refresh"]) == 401
    assert refresh_status(other_device["refresh"]) == 401
    assert_error(bearer(tokens["access"]).get(ME_URL), 401, "user_not_found")
    assert_error(bearer(other_device["access"]).get(EXPORT_URL), 401, "user_not_found")
    assert_error(login(user.email), 401, "no_active_account")


def test_password_change_ends_access_tokens_issued_before_it(bearer_client, user, tokens):
    old_access = tokens["access"]
    response = bearer(old_access).post(
        PASSWORD_URL,
        {"old_password": PASSWORD, "new_password": "a-brand-new-hip-77"},
        format="json",
    )
    assert response.status_code == 200
    assert bearer(old_access).get(ME_URL).status_code == 401
    assert bearer(response.json()["access"]).get(ME_URL).status_code == 200


def _wrong_current_passwords(client, count, **extra):
    for _ in range(count):
        response = client.post(
            PASSWORD_URL,
            {"old_password": "not-it", "new_password": "a-brand-new-hip-77"},
            format="json",
            **extra,
        )
        assert response.status_code == 400


def test_wrong_current_passwords_are_throttled_apart_from_logins(bearer_client, user):
    _wrong_current_passwords(bearer_client, 10)

    refused = bearer_client.delete(ME_URL, {"password": PASSWORD}, format="json")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    # A stolen token guessing from one address locks neither the owner's logins nor the
    # owner's own checks from another address; refresh tokens keep working throughout.
    tokens = login(user.email, REMOTE_ADDR="198.51.100.1").json()
    assert refresh_status(tokens["refresh"]) == 200
    owner = bearer(tokens["access"]).delete(
        ME_URL, {"password": PASSWORD}, format="json", REMOTE_ADDR="198.51.100.1"
    )
    assert owner.status_code == 204


def test_wrong_current_passwords_from_many_addresses_meet_the_users_limit(bearer_client, user):
    for n in range(50):
        _wrong_current_passwords(bearer_client, 1, REMOTE_ADDR=f"203.0.113.{n}")

    refused = bearer_client.delete(
        ME_URL, {"password": PASSWORD}, format="json", REMOTE_ADDR="203.0.113.99"
    )

    assert refused.status_code == 429
    assert type(user).objects.filter(pk=user.pk).exists()
    assert login(user.email).status_code == 200
