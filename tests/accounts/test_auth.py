"""Registration, login, token refresh and logout, through the endpoints with real JWTs."""

import pytest

from hipflex_api.accounts.models import AccountToken, User
from hipflex_api.accounts.serializers import REGISTERED
from tests.accounts.conftest import PROFILE_KEYS
from tests.conftest import ME_URL, REFRESH_URL, STRONG_PASSWORD, TOKEN_URL, bearer, login
from tests.factories import PASSWORD, UserFactory
from tests.helpers import assert_error, error_fields

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
LOGOUT = "/api/v1/auth/logout/"


def me_with(access):
    return bearer(access).get(ME_URL)


# Registration


def register(client, remote_addr="127.0.0.1", **body):
    body = {"email": "ann@example.com", "password": STRONG_PASSWORD, **body}
    return client.post(REGISTER, body, REMOTE_ADDR=remote_addr)


def test_register_creates_the_account_and_mails_a_confirmation(api_client, mailed, mailoutbox):
    response = mailed(
        register,
        api_client,
        display_name="Ann",
        time_zone="Europe/Berlin",
        preferred_units="imperial",
    )

    assert response.status_code == 202, response.content
    assert response.json() == {"detail": REGISTERED}
    user = User.objects.get(email="ann@example.com")
    assert user.check_password(STRONG_PASSWORD)
    assert (user.display_name, user.time_zone, user.preferred_units) == (
        "Ann",
        "Europe/Berlin",
        "imperial",
    )
    assert [m.to for m in mailoutbox] == [["ann@example.com"]]
    assert "Confirm your address" in mailoutbox[0].subject
    assert AccountToken.objects.get(user=user).purpose == "verify_email"


def test_register_then_login_gives_working_tokens(api_client):
    register(api_client)

    response = login("ann@example.com", STRONG_PASSWORD)

    assert response.status_code == 200, response.content
    me = me_with(response.json()["access"])
    assert me.status_code == 200
    assert set(me.json()) == PROFILE_KEYS
    assert me.json()["email"] == "ann@example.com"
    assert me.json()["email_verified"] is False


def test_register_applies_defaults_for_optional_fields(api_client):
    register(api_client, email="bo@example.com")

    user = User.objects.get(email="bo@example.com")
    assert (user.display_name, user.time_zone, user.preferred_units) == ("", "UTC", "metric")


@pytest.mark.parametrize("email", ["ann@example.com", "ANN@EXAMPLE.COM", "Ann@Example.Com"])
def test_register_of_an_address_with_an_account_answers_as_for_a_new_one_and_mails_the_owner(
    api_client, mailed, mailoutbox, email
):
    owner = UserFactory(email="ann@example.com")
    new = mailed(register, api_client, email="someone-new@example.com")
    mailoutbox.clear()

    response = mailed(register, api_client, email=email, display_name="Mallory")

    assert response.status_code == new.status_code == 202
    assert response.json() == new.json()
    assert sorted(response.headers) == sorted(new.headers)
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert owner.display_name != "Mallory"
    assert User.objects.filter(email__iexact="ann@example.com").count() == 1
    assert [m.to for m in mailoutbox] == [["ann@example.com"]]
    assert "tried to use your address" in mailoutbox[0].subject
    assert not AccountToken.objects.filter(user=owner).exists()


@pytest.mark.parametrize(
    ("password", "message_part"),
    [
        ("Xk3$qz", "too short"),
        ("password", "too common"),
        ("8472916350", "entirely numeric"),
        ("marathonrunner7", "too similar"),
    ],
    ids=["too-short", "too-common", "numeric", "similar-to-email"],
)
def test_register_weak_password_is_400_and_saves_no_user(api_client, password, message_part):
    response = api_client.post(
        REGISTER, {"email": "marathonrunner@example.com", "password": password}
    )

    body = assert_error(response, 400, "invalid")
    assert error_fields(response) == {"password"}
    assert any(message_part in error["message"] for error in body["errors"])
    assert not User.objects.filter(email__iexact="marathonrunner@example.com").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": STRONG_PASSWORD}, "email"),
        ({"password": STRONG_PASSWORD}, "email"),
        ({"email": "dee@example.com"}, "password"),
        ({"email": "dee@example.com", "password": ""}, "password"),
        (
            {"email": "dee@example.com", "password": STRONG_PASSWORD, "display_name": "Dee\x00"},
            "display_name",
        ),
        (
            {"email": "dee@example.com", "password": STRONG_PASSWORD, "display_name": "x" * 151},
            "display_name",
        ),
        (
            {"email": "dee@example.com", "password": STRONG_PASSWORD, "time_zone": "Mars/Olympus"},
            "time_zone",
        ),
        (
            {"email": "dee@example.com", "password": STRONG_PASSWORD, "time_zone": "localtime"},
            "time_zone",
        ),
        (
            {
                "email": "dee@example.com",
                "password": STRONG_PASSWORD,
                "preferred_units": "furlongs",
            },
            "preferred_units",
        ),
    ],
    ids=[
        "bad-email",
        "missing-email",
        "missing-password",
        "blank-password",
        "nul-in-display-name",
        "long-display-name",
        "invalid-time-zone",
        "the-machines-own-zone",
        "invalid-units",
    ],
)
def test_register_invalid_input_names_the_field(api_client, payload, field):
    response = api_client.post(REGISTER, payload)

    assert_error(response, 400, "invalid")
    assert field in error_fields(response)
    assert not User.objects.exists()


def test_register_display_name_of_150_characters_is_accepted(api_client):
    response = api_client.post(
        REGISTER,
        {"email": "eve@example.com", "password": STRONG_PASSWORD, "display_name": "x" * 150},
    )

    assert response.status_code == 202, response.content
    assert User.objects.get(email="eve@example.com").display_name == "x" * 150


def test_register_is_throttled_per_ip_after_20(api_client):
    for n in range(20):
        response = api_client.post(
            REGISTER,
            {"email": f"new{n}@example.com", "password": STRONG_PASSWORD},
            REMOTE_ADDR="198.51.100.7",
        )
        assert response.status_code == 202, (n, response.content)

    response = api_client.post(
        REGISTER,
        {"email": "new20@example.com", "password": STRONG_PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(email="new20@example.com").exists()
    other_ip = api_client.post(
        REGISTER,
        {"email": "new20@example.com", "password": STRONG_PASSWORD},
        REMOTE_ADDR="198.51.100.8",
    )
    assert other_ip.status_code == 202


# Login


def test_login_returns_token_pair_that_authenticates(user):
    response = login(user.email)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh"}
    me = me_with(body["access"])
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_login_email_is_case_insensitive():
    UserFactory(email="ann@example.com")

    response = login("ANN@Example.COM")

    assert response.status_code == 200, response.content
    assert me_with(response.json()["access"]).json()["email"] == "ann@example.com"


def test_login_wrong_password_is_401(user):
    response = login(user.email, "not-the-password")

    assert_error(response, 401, "no_active_account")
    assert "access" not in response.json()


def test_login_unknown_email_is_401():
    assert_error(login("nobody@example.com"), 401, "no_active_account")


@pytest.mark.parametrize("email", ["ann\x00@example.com", "ann@example.com\x00"])
def test_login_with_a_nul_in_the_address_is_a_clear_400_not_a_500(email):
    # The failure counts are kept without asking the database for that address, which
    # PostgreSQL would refuse to be asked.
    UserFactory(email="ann@example.com")

    body = assert_error(login(email, "wrong-guess", format="json"), 400, "invalid")

    assert body["errors"][0]["field"] == "email"


def test_login_inactive_user_is_401():
    inactive = UserFactory(is_active=False)

    assert_error(login(inactive.email), 401, "no_active_account")


def test_login_missing_fields_is_400(api_client):
    response = api_client.post(TOKEN_URL, {})

    assert_error(response, 400, "invalid")
    assert error_fields(response) == {"email", "password"}


def test_a_stranger_guessing_from_one_address_cannot_lock_the_owner_out(user):
    for _ in range(10):
        response = login(user.email, "wrong-guess", REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 401, response.content

    # The guesser meets 429 there, the right password included; the owner on their own
    # device gets in.
    response = login(user.email, REMOTE_ADDR="203.0.113.7")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert "access" not in response.json()
    assert login(user.email, REMOTE_ADDR="198.51.100.1").status_code == 200


def test_a_guesser_spread_over_many_addresses_meets_the_accounts_limit(user):
    for n in range(100):
        response = login(user.email, "wrong-guess", REMOTE_ADDR=f"10.0.{n // 250}.{n % 250}")
        assert response.status_code == 401, (n, response.content)

    response = login(user.email, REMOTE_ADDR="198.51.100.1")

    assert_error(response, 429, "throttled")


def test_successful_logins_do_not_count_against_the_account(user):
    for n in range(15):
        assert login(user.email, REMOTE_ADDR=f"203.0.113.{n}").status_code == 200


def test_login_account_throttle_ignores_email_case():
    UserFactory(email="ann@example.com")
    for n in range(10):
        email = "ann@example.com" if n % 2 else "ANN@EXAMPLE.COM"
        assert login(email, "wrong", REMOTE_ADDR="203.0.113.1").status_code == 401

    response = login("Ann@Example.com", REMOTE_ADDR="203.0.113.1")

    assert_error(response, 429, "throttled")


def test_login_account_throttle_leaves_other_accounts_alone(user):
    other = UserFactory()
    for _ in range(11):
        login(user.email, "wrong-guess", REMOTE_ADDR="203.0.113.1")

    assert login(other.email, REMOTE_ADDR="203.0.113.1").status_code == 200


def test_login_is_throttled_per_ip_across_accounts():
    for n in range(30):
        response = login(f"guess{n}@example.com", REMOTE_ADDR="192.0.2.1")
        assert response.status_code == 401, (n, response.content)

    response = login("guess30@example.com", REMOTE_ADDR="192.0.2.1")

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert login("guess30@example.com", REMOTE_ADDR="192.0.2.2").status_code == 401


def test_login_ip_throttle_ignores_x_forwarded_for():
    for n in range(30):
        response = login(
            f"guess{n}@example.com",
            REMOTE_ADDR="192.0.2.1",
            HTTP_X_FORWARDED_FOR=f"10.1.{n}.1",
        )
        assert response.status_code == 401, (n, response.content)

    response = login(
        "guess30@example.com",
        REMOTE_ADDR="192.0.2.1",
        HTTP_X_FORWARDED_FOR="10.99.99.99",
    )

    assert_error(response, 429, "throttled")


# Refresh


def test_refresh_rotates_the_refresh_token(api_client, user):
    old = login(user.email).json()["refresh"]

    response = api_client.post(REFRESH_URL, {"refresh": old})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != old
    assert me_with(body["access"]).status_code == 200
    assert api_client.post(REFRESH_URL, {"refresh": body["refresh"]}).status_code == 200


def test_refresh_token_cannot_be_reused_after_rotation(api_client, user):
    old = login(user.email).json()["refresh"]
    assert api_client.post(REFRESH_URL, {"refresh": old}).status_code == 200

    assert_error(api_client.post(REFRESH_URL, {"refresh": old}), 401, "token_not_valid")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""], ids=["word", "three-parts", "blank"])
def test_refresh_garbage_is_rejected(api_client, token):
    response = api_client.post(REFRESH_URL, {"refresh": token})

    # A blank string fails the serializer's field check before the token is read.
    if token:
        assert_error(response, 401, "token_not_valid")
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    else:
        assert_error(response, 400, "invalid")


def test_refresh_with_an_access_token_is_401(api_client, user):
    access = login(user.email).json()["access"]

    assert_error(api_client.post(REFRESH_URL, {"refresh": access}), 401, "token_not_valid")


def test_refresh_for_a_deleted_account_is_401(api_client):
    gone = UserFactory()
    refresh = login(gone.email).json()["refresh"]
    gone.delete()  # Straight in the database, bypassing the service that revokes tokens.

    response = api_client.post(REFRESH_URL, {"refresh": refresh})

    assert_error(response, 401, "user_not_found")


def test_refresh_for_a_deactivated_account_is_401(api_client, user):
    refresh = login(user.email).json()["refresh"]
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert_error(api_client.post(REFRESH_URL, {"refresh": refresh}), 401, "no_active_account")


# Logout


def test_logout_revokes_the_refresh_token(api_client, user):
    refresh = login(user.email).json()["refresh"]

    response = api_client.post(LOGOUT, {"refresh": refresh})

    assert response.status_code == 204
    assert response.content == b""
    assert_error(api_client.post(REFRESH_URL, {"refresh": refresh}), 401, "token_not_valid")


def test_logout_leaves_other_devices_logged_in(api_client, user):
    phone = login(user.email).json()["refresh"]
    laptop = login(user.email).json()["refresh"]

    assert api_client.post(LOGOUT, {"refresh": phone}).status_code == 204

    assert api_client.post(REFRESH_URL, {"refresh": laptop}).status_code == 200


def test_a_retried_logout_succeeds_and_the_token_stays_revoked(api_client, user):
    refresh = login(user.email).json()["refresh"]
    assert api_client.post(LOGOUT, {"refresh": refresh}).status_code == 204

    assert api_client.post(LOGOUT, {"refresh": refresh}).status_code == 204
    assert_error(api_client.post(REFRESH_URL, {"refresh": refresh}), 401, "token_not_valid")


def test_logout_with_a_forged_token_naming_a_revoked_one_is_401(api_client, user):
    refresh = login(user.email).json()["refresh"]
    assert api_client.post(LOGOUT, {"refresh": refresh}).status_code == 204
    header, payload, _ = refresh.split(".")

    forged = f"{header}.{payload}.c2lnbmF0dXJlLW9mLXNvbWVvbmUtZWxzZQ"

    assert_error(api_client.post(LOGOUT, {"refresh": forged}), 401, "token_not_valid")


def test_logout_garbage_token_is_401(api_client):
    response = api_client.post(LOGOUT, {"refresh": "garbage"})

    assert_error(response, 401, "token_not_valid")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_logout_with_an_access_token_is_401(api_client, user):
    access = login(user.email).json()["access"]

    assert_error(api_client.post(LOGOUT, {"refresh": access}), 401, "token_not_valid")


def test_logout_missing_field_is_400(api_client):
    response = api_client.post(LOGOUT, {})

    assert_error(response, 400, "invalid")
    assert error_fields(response) == {"refresh"}
