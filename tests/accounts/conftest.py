"""Logging in with real JWTs, and what an account's profile holds."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import TOKEN_URL, bearer
from tests.factories import PASSWORD

# A password that the validators accept, unlike the factories' own.
STRONG_PASSWORD = "violet-kettle-harbour-42"
PROFILE_KEYS = {"id", "email", "display_name", "time_zone", "preferred_units", "date_joined"}


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
