"""The OpenAPI text of accounts: registration, tokens and the caller's profile."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view

from hipflex_api.serializers import ErrorSerializer

from .serializers import (
    LogoutSerializer,
    PasswordChangeSerializer,
    PasswordConfirmSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TokenPairSerializer,
)

_BAD_CREDENTIALS = OpenApiResponse(ErrorSerializer, description="Wrong email or password.")


_BAD_TOKEN = OpenApiResponse(ErrorSerializer, description="The token is invalid or expired.")


register_schema = extend_schema(
    summary="Create an account",
    description="Django's password rules apply. Answers with the new profile and a first "
    "token pair, so the app is logged in at once.",
    request=RegisterSerializer,
    responses={201: RegisteredSerializer},
)


logout_schema = extend_schema(
    summary="Log out",
    description="Revokes the refresh token, so it can no longer be traded for access "
    "tokens; logging out again with it succeeds too. Access tokens already issued expire "
    "on their own within minutes.",
    request=LogoutSerializer,
    responses={204: None, 401: _BAD_TOKEN},
)


token_obtain_schema = extend_schema(
    summary="Log in",
    description="Trades an email and password for an access and refresh token pair. Attempts "
    "are limited per address, and failed attempts per account.",
    responses={200: TokenPairSerializer, 401: _BAD_CREDENTIALS},
)


token_refresh_schema = extend_schema(
    summary="Refresh tokens",
    description="Trades a refresh token for a new pair. The old refresh token is revoked: keep "
    "the new one.",
    responses={200: TokenPairSerializer, 401: _BAD_TOKEN},
)


me_schema = extend_schema_view(
    retrieve=extend_schema(summary="Get my profile"),
    partial_update=extend_schema(summary="Change my profile"),
    destroy=extend_schema(
        summary="Delete my account",
        description="Deletes the account and everything it logged, for good. The body confirms "
        "the password.",
        request=PasswordConfirmSerializer,
        responses={
            204: None,
            400: OpenApiResponse(ErrorSerializer, description="The password is not correct."),
        },
    ),
)


password_schema = extend_schema(
    summary="Change my password",
    description="Needs the current password. Every device is logged out; the answer holds "
    "a fresh token pair for this one.",
    request=PasswordChangeSerializer,
    responses={200: TokenPairSerializer},
)
