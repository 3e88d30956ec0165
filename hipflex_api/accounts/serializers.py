from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import exceptions, serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken

from hipflex_api.fields import StrictCharField, StrictModelSerializer

from .models import User

# The longest password the API takes; Django's own forms take as long.
PASSWORD_MAX_LENGTH = 128


def _validate_new_password(password: str, user: User) -> str:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(list(exc.messages)) from exc
    return password


class ProfileSerializer(StrictModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "time_zone", "preferred_units", "date_joined"]
        read_only_fields = ["id", "email", "date_joined"]


class RegisterSerializer(StrictModelSerializer):
    password = StrictCharField(
        write_only=True,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        trim_whitespace=False,
    )

    class Meta:
        model = User
        fields = ["email", "password", "display_name", "time_zone", "preferred_units"]
        extra_kwargs: dict[str, dict[str, Any]] = {
            "email": {"validators": []}
        }  # The case-insensitive check below.

    def validate_email(self, value: str) -> str:
        email = User.objects.normalize_email(value)
        if User.objects.filter(email__iexact=email).exists():
            raise serializers.ValidationError("An account with this email address already exists.")
        return email

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = User(**{k: v for k, v in attrs.items() if k != "password"})
        try:
            _validate_new_password(attrs["password"], candidate)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"password": exc.detail}) from exc
        return attrs

    def create(self, validated_data: dict[str, Any]) -> User:
        return User.objects.create_user(**validated_data)


class TokenPairSerializer(serializers.Serializer):
    access = StrictCharField(help_text="Send as `Authorization: Bearer <access>`.")
    refresh = StrictCharField(help_text="Trade for a new pair at /api/v1/auth/token/refresh/.")


class RegisteredSerializer(serializers.Serializer):
    user = ProfileSerializer()
    access = StrictCharField()
    refresh = StrictCharField()


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's refresh, made safe for two refreshes at once and for a deleted account."""

    @transaction.atomic
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        # Two refreshes with one token at once must not both get a new pair: the row lock
        # lets one through, and the other then finds the token blacklisted.
        jti = RefreshToken(attrs["refresh"], verify=False).get("jti")
        locked = OutstandingToken.objects.select_for_update().filter(jti=jti).order_by("pk")
        list(locked.values_list("pk", flat=True))
        try:
            return super().validate(attrs)
        except User.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed(
                "The account for this token no longer exists.", code="user_not_found"
            ) from exc


class LogoutSerializer(serializers.Serializer):
    refresh = StrictCharField(help_text="The refresh token to revoke.")


class PasswordChangeSerializer(serializers.Serializer):
    old_password = StrictCharField(write_only=True, trim_whitespace=False)
    new_password = StrictCharField(
        write_only=True, max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False
    )

    def validate_old_password(self, value: str) -> str:
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError("The current password is not correct.")
        return value

    def validate_new_password(self, value: str) -> str:
        return _validate_new_password(value, self.context["request"].user)


class PasswordConfirmSerializer(serializers.Serializer):
    password = StrictCharField(
        write_only=True, trim_whitespace=False, help_text="The account's current password."
    )

    def validate_password(self, value: str) -> str:
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError("The password is not correct.")
        return value


def token_pair_for(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def refresh_token_revoked(raw: str) -> bool:
    """Whether `raw` is a genuine refresh token of ours that is already revoked."""
    try:
        # Checks the signature and expiry, not revocation. (The stubs type `token` too narrowly.)
        jti = UntypedToken(raw).get("jti")  # type: ignore[arg-type]
    except TokenError:
        return False
    return BlacklistedToken.objects.filter(token__jti=jti).exists()
