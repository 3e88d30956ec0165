"""Logging in with real JWTs, what an account's profile holds, and the mail accounts send."""

import re

import pytest
from rest_framework.test import APIClient

from tests.conftest import TOKEN_URL, bearer
from tests.factories import PASSWORD
from tests.helpers import assert_error

# A password that the validators accept, unlike the factories' own.
STRONG_PASSWORD = "violet-kettle-harbour-42"
PROFILE_KEYS = {
    "id",
    "email",
    "email_verified",
    "display_name",
    "time_zone",
    "preferred_units",
    "date_joined",
}
REGISTER_URL = "/api/v1/auth/register/"
RESET_URL = "/api/v1/auth/password-reset/"
RESET_CONFIRM_URL = "/api/v1/auth/password-reset/confirm/"
VERIFY_URL = "/api/v1/auth/verify-email/"
RESEND_URL = "/api/v1/auth/verify-email/resend/"
EMAIL_CHANGE_URL = "/api/v1/me/email/"

_PASTED_CODE = re.compile(r"paste this code into the app: (\S+)")


def assert_invalid_token(response):
    """A 400 saying the mailed token cannot be used (spent, expired, or not ours)."""
    body = assert_error(response, 400, "invalid")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("token", "invalid_token")]


def token_in(message):
    """The token a mail tells its reader to paste (a Django EmailMessage or an email.Message)."""
    text = message.body if hasattr(message, "body") else message.get_body(("plain",)).get_content()
    found = _PASTED_CODE.search(text)
    assert found, text
    return found.group(1)


def login(email, password=PASSWORD, **extra):
    """POST the credentials to the token endpoint from a fresh client; the response."""
    return APIClient().post(TOKEN_URL, {"email": email, "password": password}, **extra)


@pytest.fixture
def tokens(user):
    """The user's access and refresh tokens, from logging in."""
    response = login(user.email)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def bearer_client(tokens):
    """The user's client, authenticated the way an app is: with the access token from login."""
    return bearer(tokens["access"])
