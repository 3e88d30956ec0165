"""Password reset by mail: asked for without saying who has an account, confirmed once."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from hipflex_api.accounts.models import AccountToken, User
from hipflex_api.accounts.serializers import RESET_MAILED
from tests.conftest import (
    ME_URL,
    REFRESH_URL,
    RESET_CONFIRM_URL,
    RESET_URL,
    STRONG_PASSWORD,
    assert_invalid_token,
    bearer,
    login,
    token_in,
)
from tests.factories import PASSWORD, UserFactory
from tests.helpers import assert_error, error_fields

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "amber-lantern-meadow-17"


@pytest.fixture
def reset_token(user, api_client, mailed, mailoutbox):
    """The token of a reset the user asked for, read from the mail."""
    mailed(api_client.post, RESET_URL, {"email": user.email})
    (message,) = mailoutbox
    return token_in(message)


def confirm(client, token, password=NEW_PASSWORD, **extra):
    return client.post(RESET_CONFIRM_URL, {"token": token, "new_password": password}, **extra)


def test_reset_mails_a_link_from_the_template_and_the_token(
    user, api_client, mailed, mailoutbox, settings
):
    settings.PASSWORD_RESET_URL = "https://app.example/reset?t={token}&from=mail"

    response = mailed(api_client.post, RESET_URL, {"email": user.email.upper()})

    assert response.status_code == 202, response.content
    assert response.json() == {"detail": RESET_MAILED}
    (message,) = mailoutbox
    assert message.to == [user.email]
    token = token_in(message)
    assert f"https://app.example/reset?t={token}&from=mail" in message.body
    html = message.alternatives[0][0]
    assert f'href="https://app.example/reset?t={token}&amp;from=mail"' in html
    assert "1 hour" in message.body


@pytest.mark.parametrize("email", ["nobody@example.com", "inactive@example.com"])
def test_reset_for_no_active_account_answers_the_same_and_mails_no_one(
    user, api_client, mailed, mailoutbox, email
):
    UserFactory(email="inactive@example.com", is_active=False)
    known = mailed(api_client.post, RESET_URL, {"email": user.email})
    mailoutbox.clear()

    response = mailed(api_client.post, RESET_URL, {"email": email})

    assert (response.status_code, response.json()) == (known.status_code, known.json())
    assert mailoutbox == []


def test_confirm_sets_the_password_logs_out_everywhere_and_logs_in(user, api_client, reset_token):
    old = login(user.email).json()

    response = confirm(api_client, reset_token)

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "refresh"}
    assert bearer(response.json()["access"]).get(ME_URL).status_code == 200
    assert login(user.email, NEW_PASSWORD).status_code == 200
    assert login(user.email, PASSWORD).status_code == 401
    assert_error(bearer(old["access"]).get(ME_URL), 401, "password_changed")
    assert api_client.post(REFRESH_URL, {"refresh": old["refresh"]}).status_code == 401
    user.refresh_from_db()
    assert user.email_verified


def test_a_token_works_once(api_client, reset_token):
    assert confirm(api_client, reset_token).status_code == 200

    assert_invalid_token(confirm(api_client, reset_token, "another-fine-password-88"))


def test_using_one_reset_token_spends_the_others(user, api_client, mailed, mailoutbox):
    for _ in range(2):
        mailed(api_client.post, RESET_URL, {"email": user.email})
    first, second = (token_in(m) for m in mailoutbox)

    assert confirm(api_client, second).status_code == 200

    assert_invalid_token(confirm(api_client, first))
    assert not AccountToken.objects.filter(user=user).exists()


def test_an_expired_token_is_refused(user, api_client, reset_token):
    AccountToken.objects.filter(user=user).update(expires_at=timezone.now())

    assert_invalid_token(confirm(api_client, reset_token))
    assert login(user.email).status_code == 200


def test_the_token_lifetime_is_a_setting(user, api_client, mailed, settings):
    settings.PASSWORD_RESET_TIMEOUT = 120
    before = timezone.now()

    mailed(api_client.post, RESET_URL, {"email": user.email})

    row = AccountToken.objects.get(user=user)
    assert (
        before + timedelta(seconds=119) < row.expires_at <= timezone.now() + timedelta(seconds=120)
    )


@pytest.mark.parametrize("route", ["orm", "api"])
def test_a_token_dies_when_the_password_changes_by_any_route(user, api_client, reset_token, route):
    if route == "orm":
        user.set_password(STRONG_PASSWORD)
        user.save()
    else:
        access = login(user.email).json()["access"]
        response = bearer(access).post(
            f"{ME_URL}password/", {"old_password": PASSWORD, "new_password": STRONG_PASSWORD}
        )
        assert response.status_code == 200, response.content

    assert_invalid_token(confirm(api_client, reset_token))
    assert login(user.email, STRONG_PASSWORD).status_code == 200


def test_a_token_of_a_deactivated_account_is_refused(user, api_client, reset_token):
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert_invalid_token(confirm(api_client, reset_token))


def test_a_weak_password_is_refused_and_the_token_still_works(user, api_client, reset_token):
    response = confirm(api_client, reset_token, "password")

    assert_error(response, 400, "invalid")
    assert error_fields(response) == {"new_password"}
    assert login(user.email).status_code == 200
    assert confirm(api_client, reset_token).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"new_password": NEW_PASSWORD}, "token"),
        ({"token": 7, "new_password": NEW_PASSWORD}, "token"),
        ({"token": "x" * 101, "new_password": NEW_PASSWORD}, "token"),
        ({"token": "made-up"}, "new_password"),
    ],
    ids=["no-token", "number", "too-long", "no-password"],
)
def test_bad_confirm_bodies_name_the_field(api_client, body, field):
    response = api_client.post(RESET_CONFIRM_URL, body)

    assert_error(response, 400, "invalid")
    assert field in error_fields(response)


def test_a_made_up_token_is_refused(api_client):
    assert_invalid_token(confirm(api_client, "made-up-token"))


def test_reset_is_throttled_per_client_address(api_client):
    for n in range(30):
        response = api_client.post(RESET_URL, {"email": f"p{n}@example.com"})
        assert response.status_code == 202

    assert_error(api_client.post(RESET_URL, {"email": "p30@example.com"}), 429, "throttled")


def test_wrong_tokens_are_limited_per_client_address(api_client):
    for _ in range(30):
        assert confirm(api_client, "guess").status_code == 400

    assert_error(confirm(api_client, "guess"), 429, "throttled")
    assert confirm(api_client, "guess", REMOTE_ADDR="198.51.100.2").status_code == 400


def test_right_tokens_use_no_share_of_the_limit(user, api_client, mailed, mailoutbox):
    for _ in range(29):
        confirm(api_client, "guess")
    for n in range(3):
        mailed(api_client.post, RESET_URL, {"email": user.email})
        password = f"meadow-lantern-{n}-amber"
        assert confirm(api_client, token_in(mailoutbox[-1]), password).status_code == 200

    assert confirm(api_client, "guess").status_code == 400


def test_only_a_digest_of_the_token_is_stored(user, reset_token):
    row = AccountToken.objects.get(user=user)

    assert row.digest == hashlib.sha256(reset_token.encode()).hexdigest()
    stored = AccountToken.objects.filter(pk=row.pk).values().get()
    assert not any(reset_token in str(value) for value in stored.values())
