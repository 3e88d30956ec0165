from typing import cast

from django.core.exceptions import ImproperlyConfigured, ValidationError
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from hipflex_api.caching import user_with_versions

from .models import User


def request_user(request: Request) -> User:
    """The signed-in caller, for views whose permissions already refused anonymous ones."""
    return cast(User, request.user)


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's Bearer authentication, with the caller's change numbers read in the same query.

    The private reads (session list, sync, stats) answer from a cache keyed by those numbers
    (hipflex_api.caching.user_version), so they need no query of their own. The checks are
    simplejwt's own: the user exists, is active, and has not changed password since the token.
    """

    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        if User._meta.pk.name != api_settings.USER_ID_FIELD:
            raise ImproperlyConfigured("SIMPLE_JWT's USER_ID_FIELD must be the primary key.")
        try:
            user_id = User._meta.pk.to_python(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, ValidationError) as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user: User | None = user_with_versions(user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        return user
