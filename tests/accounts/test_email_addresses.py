"""Confirming an address, mailing a new link, logging in unconfirmed, changing the address."""

import pytest
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from hipflex_api.accounts.models import AccountToken, User
from hipflex_api.accounts.serializers import CHANGE_MAILED, CONFIRMATION_MAILED
from tests.conftest import (
    EMAIL_CHANGE_URL,
    ME_URL,
    REGISTER_URL,
    RESEND_URL,
    RESET_CONFIRM_URL,
    RESET_URL,
    STRONG_PASSWORD,
    VERIFY_URL,
    assert_invalid_token,
    bearer,
    login,
    token_in,
)
from tests.factories import PASSWORD, UserFactory
from tests.helpers import assert_error, error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(api_client, mailed, mailoutbox):
    """A new account's address and the confirmation token its sign-up mailed."""
    mailed(api_client.post, REGISTER_URL, {"email": "ann@example.com", "password": STRONG_PASSWORD})
    (message,) = mailoutbox
    mailoutbox.clear()
    return "ann@example.com", token_in(message)


def test_the_sign_up_token_confirms_the_address(api_client, registered, settings):
    settings.EMAIL_VERIFY_URL = "https://app.example/verify/{token}"
    email, token = registered

    response = api_client.post(VERIFY_URL, {"token": token})

    assert response.status_code == 204, response.content
    user = User.objects.get(email=email)
    assert user.email_verified
    access = login(email, STRONG_PASSWORD).json()["access"]
    assert bearer(access).get(ME_URL).json()["email_verified"] is True
    assert_invalid_token(api_client.post(VERIFY_URL, {"token": token}))


def test_the_mail_links_to_the_configured_template(api_client, mailed, mailoutbox, settings):
    settings.EMAIL_VERIFY_URL = "https://app.example/verify/{token}"

    mailed(api_client.post, REGISTER_URL, {"email": "bo@example.com", "password": STRONG_PASSWORD})

    (message,) = mailoutbox
    assert f"https://app.example/verify/{token_in(message)}" in message.body


def test_an_expired_confirmation_is_refused(api_client, registered):
    email, token = registered
    AccountToken.objects.update(expires_at=timezone.now())

    assert_invalid_token(api_client.post(VERIFY_URL, {"token": token}))
    assert not User.objects.get(email=email).email_verified


def test_resend_mails_a_new_link_to_an_unconfirmed_account(
    api_client, registered, mailed, mailoutbox
):
    email, first = registered

    response = mailed(api_client.post, RESEND_URL, {"email": email.upper()})

    assert response.status_code == 202, response.content
    assert response.json() == {"detail": CONFIRMATION_MAILED}
    (message,) = mailoutbox
    assert message.to == [email]
    second = token_in(message)
    assert second != first
    assert api_client.post(VERIFY_URL, {"token": second}).status_code == 204
    # Confirming spends every confirmation token of the account.
    assert_invalid_token(api_client.post(VERIFY_URL, {"token": first}))


@pytest.mark.parametrize("email", ["confirmed@example.com", "nobody@example.com"])
def test_resend_answers_the_same_and_mails_no_one_without_an_unconfirmed_account(
    api_client, registered, mailed, mailoutbox, email
):
    UserFactory(email="confirmed@example.com", email_verified_at=timezone.now())
    unconfirmed = mailed(api_client.post, RESEND_URL, {"email": registered[0]})
    mailoutbox.clear()

    response = mailed(api_client.post, RESEND_URL, {"email": email})

    assert (response.status_code, response.json()) == (unconfirmed.status_code, unconfirmed.json())
    assert mailoutbox == []


def test_verify_refuses_a_bad_body(api_client):
    response = api_client.post(VERIFY_URL, {})

    assert_error(response, 400, "invalid")
    assert error_fields(response) == {"token"}


# Logging in with an unconfirmed address, where the deployment requires confirmation


def test_login_with_an_unconfirmed_address_is_allowed_by_default(api_client, registered):
    assert login(registered[0], STRONG_PASSWORD).status_code == 200


def test_login_with_an_unconfirmed_address_is_refused_when_required(
    api_client, registered, settings
):
    settings.ACCOUNTS_REQUIRE_VERIFIED_EMAIL = True
    email, token = registered

    assert_error(login(email, STRONG_PASSWORD), 403, "email_not_verified")
    # A wrong password is told as wrong, so the 403 tells only the owner anything.
    assert_error(login(email, "not-the-password"), 401, "no_active_account")

    api_client.post(VERIFY_URL, {"token": token})
    assert login(email, STRONG_PASSWORD).status_code == 200


# Changing the address


@pytest.fixture
def change(user, bearer_client, mailed, mailoutbox):
    """Ask to move the user's account to new@example.com; the answer, and the token mailed."""
    response = mailed(
        bearer_client.post, EMAIL_CHANGE_URL, {"new_email": "New@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 202, response.content
    confirmation, notice = mailoutbox
    mailoutbox.clear()
    return response, confirmation, notice


def test_a_change_mails_the_new_address_and_tells_the_old_one(user, change):
    response, confirmation, notice = change

    assert response.json() == {"detail": CHANGE_MAILED}
    assert confirmation.to == ["New@example.com"]
    assert notice.to == [user.email]
    assert "New@example.com" in notice.body
    user.refresh_from_db()
    assert user.email != "New@example.com"


def test_the_address_changes_once_the_new_one_confirms(user, api_client, change):
    _, confirmation, _ = change

    response = api_client.post(VERIFY_URL, {"token": token_in(confirmation)})

    assert response.status_code == 204, response.content
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("New@example.com", True)
    assert login("new@example.com").status_code == 200


def test_a_move_spends_the_resets_mailed_to_the_old_address(user, api_client, change, mailed):
    mailed(api_client.post, RESET_URL, {"email": user.email})
    _, confirmation, _ = change

    assert api_client.post(VERIFY_URL, {"token": token_in(confirmation)}).status_code == 204

    assert not AccountToken.objects.filter(user=user).exists()


def test_a_change_to_a_taken_address_looks_the_same_to_the_caller_and_tells_its_owner(
    user, bearer_client, change, mailed, mailoutbox
):
    owner = UserFactory(email="taken@example.com")
    _, _, free_notice = change

    response = mailed(
        bearer_client.post,
        EMAIL_CHANGE_URL,
        {"new_email": "TAKEN@example.com", "password": PASSWORD},
    )

    assert (response.status_code, response.json()) == (change[0].status_code, change[0].json())
    to_owner, notice = mailoutbox
    assert to_owner.to == [owner.email]
    assert "tried to use your address" in to_owner.subject
    # The caller's own inbox gets the same notice as for a free address.
    assert (notice.to, notice.subject) == (free_notice.to, free_notice.subject)
    assert not AccountToken.objects.filter(purpose="email_change", email__iexact=owner.email)


def test_an_address_taken_after_the_link_was_mailed_is_a_conflict(user, api_client, change):
    _, confirmation, _ = change
    UserFactory(email="new@example.com")

    response = api_client.post(VERIFY_URL, {"token": token_in(confirmation)})

    assert_error(response, 409, "email_taken")
    user.refresh_from_db()
    assert user.email != "New@example.com"


def test_a_password_change_cancels_a_pending_change(user, api_client, change):
    _, confirmation, _ = change
    user.set_password(STRONG_PASSWORD)
    user.save()

    assert_invalid_token(api_client.post(VERIFY_URL, {"token": token_in(confirmation)}))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"new_email": "new@example.com", "password": "wrong"}, "password"),
        ({"new_email": "not-an-address", "password": PASSWORD}, "new_email"),
        ({"password": PASSWORD}, "new_email"),
        ({"new_email": "new@example.com"}, "password"),
    ],
    ids=["wrong-password", "bad-address", "no-address", "no-password"],
)
def test_a_bad_change_names_the_field_and_mails_no_one(
    bearer_client, mailed, mailoutbox, body, field
):
    response = mailed(bearer_client.post, EMAIL_CHANGE_URL, body)

    assert_error(response, 400, "invalid")
    assert field in error_fields(response)
    assert mailoutbox == []


def test_a_change_to_the_current_address_is_refused(user, bearer_client):
    response = bearer_client.post(
        EMAIL_CHANGE_URL, {"new_email": user.email.upper(), "password": PASSWORD}
    )

    assert_error(response, 400, "invalid")
    assert error_fields(response) == {"new_email"}


def test_wrong_passwords_on_a_change_count_as_password_checks(user, bearer_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "email_change", "100/hour")
    for n in range(10):
        body = {"new_email": f"x{n}@example.com", "password": "wrong"}
        assert bearer_client.post(EMAIL_CHANGE_URL, body).status_code == 400

    body = {"new_email": "x@example.com", "password": PASSWORD}
    assert_error(bearer_client.post(EMAIL_CHANGE_URL, body), 429, "throttled")
    assert login(user.email).status_code == 200  # Logins are counted apart.


def test_changes_of_address_are_limited_per_account(bearer_client):
    for n in range(5):
        body = {"new_email": f"x{n}@example.com", "password": PASSWORD}
        assert bearer_client.post(EMAIL_CHANGE_URL, body).status_code == 202

    body = {"new_email": "x5@example.com", "password": PASSWORD}
    assert_error(bearer_client.post(EMAIL_CHANGE_URL, body), 429, "throttled")


def test_a_change_needs_credentials(api_client):
    response = api_client.post(EMAIL_CHANGE_URL, {"new_email": "x@example.com", "password": "p"})

    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize("kind", ["reset", "confirmation"])
def test_mailed_tokens_die_when_the_address_changes_by_another_route(
    user, api_client, mailed, mailoutbox, kind
):
    url = RESET_URL if kind == "reset" else RESEND_URL
    mailed(api_client.post, url, {"email": user.email})
    token = token_in(mailoutbox[-1])
    user.email = "moved-by-support@example.com"  # As the admin saves it.
    user.save()

    if kind == "reset":
        body = {"token": token, "new_password": STRONG_PASSWORD}
        assert_invalid_token(api_client.post(RESET_CONFIRM_URL, body))
    else:
        assert_invalid_token(api_client.post(VERIFY_URL, {"token": token}))
    user.refresh_from_db()
    assert user.email == "moved-by-support@example.com"


def test_confirming_the_address_leaves_a_pending_change_alone(
    user, api_client, change, mailed, mailoutbox
):
    _, confirmation, _ = change
    mailed(api_client.post, RESEND_URL, {"email": user.email})
    assert api_client.post(VERIFY_URL, {"token": token_in(mailoutbox[-1])}).status_code == 204

    assert api_client.post(VERIFY_URL, {"token": token_in(confirmation)}).status_code == 204

    user.refresh_from_db()
    assert user.email == "New@example.com"


def test_the_confirmation_mail_holds_none_of_the_sign_up_text(api_client, mailed, mailoutbox):
    body = {
        "email": "bo@example.com",
        "password": STRONG_PASSWORD,
        "display_name": "Win at x.example",
    }

    mailed(api_client.post, REGISTER_URL, body)

    (message,) = mailoutbox
    assert "x.example" not in message.body
    assert "x.example" not in message.alternatives[0][0]
