from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import exceptions, serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken

from hipflex_api.fields import (
    StrictCharField,
    StrictChoiceField,
    StrictEmailField,
    StrictIntegerField,
    StrictModelSerializer,
    max_length_of,
)

from . import services
from .models import (
    INVITATION_ALPHABET,
    CoachingInvitation,
    CoachingLink,
    PersonalToken,
    User,
    invitation_code_canonical,
)
from .scopes import SCOPE_NAMES

# The longest password the API takes; Django's own forms take as long.
PASSWORD_MAX_LENGTH = 128


def _password_min_length() -> int:
    """The shortest new password AUTH_PASSWORD_VALIDATORS allow, for the schema to state."""
    lengths = [
        validator.min_length
        for validator in password_validation.get_default_password_validators()
        if isinstance(validator, password_validation.MinimumLengthValidator)
    ]
    return max(lengths, default=1)


class NewPasswordField(StrictCharField):
    """A new password. Django's validators check it, and their messages say what is wrong;
    the schema states the one rule of theirs that JSON Schema can, the shortest length."""

    def __init__(self, **kwargs: Any) -> None:
        self.stated_min_length = _password_min_length()
        super().__init__(
            write_only=True, max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, **kwargs
        )


def _validate_new_password(password: str, user: User) -> str:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(list(exc.messages)) from exc
    return password


def _validate_new_password_in(attrs: dict[str, Any], field: str, user: User) -> None:
    """The password rules, in a serializer's validate(), with the errors on `field`."""
    try:
        _validate_new_password(attrs[field], user)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({field: exc.detail}) from exc


class ProfileSerializer(StrictModelSerializer):
    email_verified = serializers.BooleanField(
        read_only=True, help_text="Whether the owner confirmed the address by a mailed link."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "email_verified",
            "display_name",
            "time_zone",
            "preferred_units",
            "date_joined",
        ]
        read_only_fields = ["id", "email", "date_joined"]


class RegisterSerializer(StrictModelSerializer):
    password = NewPasswordField(style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["email", "password", "display_name", "time_zone", "preferred_units"]
        extra_kwargs: dict[str, dict[str, Any]] = {
            "email": {"validators": []}
        }  # The case-insensitive check below.

    def validate_email(self, value: str) -> str:
        # Whether the address has an account is not said here: the answer is the same.
        return User.objects.normalize_email(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = User(**{k: v for k, v in attrs.items() if k != "password"})
        _validate_new_password_in(attrs, "password", candidate)
        return attrs


class TokenPairSerializer(serializers.Serializer):
    access = StrictCharField(help_text="Send as `Authorization: Bearer <access>`.")
    refresh = StrictCharField(help_text="Trade for a new pair at /api/v1/auth/token/refresh/.")


# The answers to requests that mail someone: the same whether or not the address has an
# account, so that they tell no one who has one.
REGISTERED = (
    "We mailed this address. If it is new, the account is ready: log in with it, and confirm "
    "the address with the link in the mail."
)
RESET_MAILED = "If an account has this address, we mailed it a link to choose a new password."
CONFIRMATION_MAILED = (
    "If an account with this address still needs confirming, we mailed it a new link."
)
CHANGE_MAILED = (
    "We mailed a link to the new address: the account moves to it once the link is used. "
    "The current address was told."
)


class AcceptedSerializer(serializers.Serializer):
    detail = StrictCharField(help_text="What happens next, for the person.")


class EmailSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=max_length_of(User, "email"))


class MailedTokenSerializer(serializers.Serializer):
    token = StrictCharField(
        max_length=100, help_text="The code from the mail, or the `token` in its link."
    )


class PasswordResetConfirmSerializer(MailedTokenSerializer):
    new_password = NewPasswordField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The token first: the password rules compare the password with the account's details.
        user = services.password_reset_user(token=attrs["token"])
        _validate_new_password_in(attrs, "new_password", user)
        return attrs


# simplejwt's login, refusing an unconfirmed address where the deployment requires one; the
# same class name keeps the schema's component names. (A comment: a docstring would become
# the schema's description of the request.)
class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        data = super().validate(attrs)
        verified = getattr(self.user, "email_verified", False)
        if settings.ACCOUNTS_REQUIRE_VERIFIED_EMAIL and not verified:
            raise exceptions.PermissionDenied(
                "Confirm your address first with the link we mailed; "
                "/api/v1/auth/verify-email/resend/ mails a new one.",
                code="email_not_verified",
            )
        return data


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
    new_password = NewPasswordField()

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


class EmailChangeSerializer(PasswordConfirmSerializer):
    new_email = StrictEmailField(max_length=max_length_of(User, "email"))

    def validate_new_email(self, value: str) -> str:
        email = User.objects.normalize_email(value)
        if email.casefold() == self.context["request"].user.email.casefold():
            raise serializers.ValidationError("This is already the account's address.")
        return email


class InvitationSerializer(serializers.ModelSerializer[CoachingInvitation]):
    code = serializers.SerializerMethodField(
        help_text="The code to give the client, to read aloud or type: two groups of four "
        "letters and digits. Shown only in the answer that creates the invitation."
    )

    class Meta:
        model = CoachingInvitation
        fields = ["id", "code", "created_at", "expires_at"]
        read_only_fields = fields

    def get_code(self, invitation: CoachingInvitation) -> str | None:
        return self.context.get("code")


class InvitationRedeemSerializer(serializers.Serializer):
    code = StrictCharField(
        max_length=32,
        help_text="The trainer's code, as they gave it: any case, with or without the dash "
        "(an O is read as 0, an I or L as 1).",
    )

    def validate_code(self, value: str) -> str:
        if invitation_code_canonical(value) is None:
            raise serializers.ValidationError(
                "An invitation code is 8 letters and digits, such as 7KQ2-M9XD "
                f"(from {INVITATION_ALPHABET})."
            )
        return value


# What the client is told, plainly, when a link starts and whenever they look at it.
SHARING_NOTICE = (
    "{trainer} sees your name, email address, sessions and the pain you report in them, past "
    "and future, until you end this link (DELETE it); then they see none of it."
)


class LinkedTrainerSerializer(serializers.ModelSerializer[CoachingLink]):
    trainer_name = serializers.CharField(
        source="trainer.get_full_name", read_only=True, help_text="The trainer's name."
    )
    shares = serializers.ListField(
        child=serializers.ChoiceField(choices=CoachingLink.SHARED),
        read_only=True,
        help_text="What the trainer sees: `sessions` (the client's log) and `pain` (the pain "
        "reported in its sets, health data).",
    )
    notice = serializers.SerializerMethodField(help_text="What sharing means, for the person.")

    class Meta:
        model = CoachingLink
        fields = ["id", "trainer_name", "started_at", "shares", "notice"]
        read_only_fields = fields

    def get_notice(self, link: CoachingLink) -> str:
        return SHARING_NOTICE.format(trainer=link.trainer.get_full_name())


class ConnectionSerializer(serializers.Serializer):
    """An app the person connected (services.Connection)."""

    id = serializers.IntegerField(source="app.pk", help_text="The app's id here.")
    name = serializers.CharField(source="app.name", help_text="The app's name.")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=SCOPE_NAMES),
        help_text="What the person granted it: the scopes of its tokens that live.",
    )
    connected_at = serializers.DateTimeField(help_text="When the person first connected it.")


class PersonalTokenSerializer(serializers.ModelSerializer[PersonalToken]):
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=SCOPE_NAMES),
        read_only=True,
        help_text="What the token may do, as an app's scopes say it.",
    )
    expires_at = serializers.DateTimeField(
        read_only=True, help_text="From then on it gets 401 (`token_not_valid`)."
    )

    class Meta:
        model = PersonalToken
        fields = ["id", "name", "scopes", "created_at", "expires_at"]
        read_only_fields = fields


class PersonalTokenCreatedSerializer(PersonalTokenSerializer):
    token = serializers.CharField(
        read_only=True,
        help_text="Send it as `Authorization: Bearer <token>`. Shown only in this answer: the "
        "server keeps a digest of it, never the token.",
    )

    class Meta(PersonalTokenSerializer.Meta):
        fields = [*PersonalTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class PersonalTokenRequestSerializer(serializers.Serializer):
    name = StrictCharField(
        max_length=max_length_of(PersonalToken, "name"),
        help_text="What the token is for, to tell it from the others (one of each name).",
    )
    scopes = serializers.ListField(
        child=StrictChoiceField(choices=SCOPE_NAMES),
        min_length=1,
        max_length=len(SCOPE_NAMES),
        help_text="What it may do: the scopes an app would ask for.",
    )
    expires_in_days = StrictIntegerField(
        min_value=1,
        max_value=settings.PERSONAL_TOKEN_MAX_DAYS,
        default=30,
        help_text="How many days it works, at most `PERSONAL_TOKEN_MAX_DAYS`.",
    )

    def validate_scopes(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Name each scope once.", code="invalid")
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
