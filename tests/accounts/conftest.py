"""Logging in with real JWTs, what an account's profile holds, and the mail accounts send."""

import pytest

from tests.conftest import bearer, login

PROFILE_KEYS = {
    "id",
    "email",
    "email_verified",
    "display_name",
    "time_zone",
    "preferred_units",
    "date_joined",
}


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
