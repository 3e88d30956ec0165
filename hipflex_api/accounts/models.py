import hashlib
import importlib.resources
import secrets
import uuid
from datetime import datetime, timedelta
from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from oauth2_provider.models import AbstractApplication

from .scopes import SCOPE_NAMES


class UserManager(DjangoUserManager["User"]):
    """Users log in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser needs is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Logging in as Ann@Example.com or ann@example.com reaches the same account.
        return self.get(email__iexact=username)


@cache
def _time_zone_names() -> frozenset[str]:
    """IANA's zone names, as the tzdata package lists them: the same on every server, unlike
    the machine's zone files, which zoneinfo also offers and which may hold `localtime` (the
    machine's own zone, whatever it is) or `posix/` and `right/` copies. Less `Factory`, IANA's
    placeholder for a zone not yet set, which says nothing of where anyone is."""
    zones = importlib.resources.files("tzdata").joinpath("zones").read_text().split()
    return frozenset(zones) - {"Factory"}


def validate_time_zone(value: str) -> None:
    if value not in _time_zone_names():
        raise ValidationError(
            "'%(value)s' is not an IANA time zone name such as 'Europe/Berlin'.",
            code="invalid_time_zone",
            params={"value": value},
        )


# (django-oauth-toolkit, untyped, gives it the manager `accounts_app` of its apps.)
class User(AbstractUser):  # type: ignore[django-manager-missing]
    class Units(models.TextChoices):
        METRIC = "metric", "Metric"
        IMPERIAL = "imperial", "Imperial"

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA name; weeks and days in stats are counted in it.",
    )
    preferred_units = models.CharField(max_length=10, choices=Units.choices, default=Units.METRIC)
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the owner confirmed the address by a mailed link."
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(preferred_units__in=["metric", "imperial"]),
                name="accounts_user_units_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


def password_fingerprint(user: User) -> str:
    """Changes whenever the password or the address does, by whatever route (the API, the
    admin, manage.py), as Django's own reset tokens do: either change kills mailed tokens."""
    return salted_hmac(
        "accounts.password_fingerprint", f"{user.password}\x00{user.email.casefold()}"
    ).hexdigest()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountToken(models.Model):
    """A single-use token mailed to an address: a password reset, the proof that the owner
    reads the account's address, or the proof that they read the one it is moving to.

    Only a digest is stored, so a copy of the database resets no one's password.
    """

    class Purpose(models.TextChoices):
        PASSWORD_RESET = "password_reset", "Password reset"
        VERIFY_EMAIL = "verify_email", "Address confirmation"
        EMAIL_CHANGE = "email_change", "Change of address"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_tokens")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    digest = models.CharField(max_length=64, unique=True)
    email = models.EmailField(help_text="The address the token was mailed to and confirms.")
    password_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=["password_reset", "verify_email", "email_change"]),
                name="accounts_token_purpose_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="accounts_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.email}"

    @classmethod
    def issue(cls, *, user: User, purpose: str, email: str, lifetime: timedelta) -> str:
        """Store a new token and give back its only plain copy, for the mail."""
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        cls.objects.create(
            user=user,
            purpose=purpose,
            digest=token_digest(token),
            email=email,
            password_fingerprint=password_fingerprint(user),
            created_at=now,
            expires_at=now + lifetime,
        )
        return token

    def usable(self, now: datetime) -> bool:
        """Unexpired, for an active account whose password has not changed since."""
        return (
            self.expires_at > now
            and self.user.is_active
            and secrets.compare_digest(self.password_fingerprint, password_fingerprint(self.user))
        )


# Invitation codes are read aloud or typed from a screen: Crockford's base 32, which has no
# I, L, O or U, in two groups of four. 32^8 codes, with guessing throttled, keep them unguessable.
INVITATION_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
INVITATION_CODE_LENGTH = 8
# What a person typing a code may get wrong and still mean it: the letters that look like digits.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def invitation_code_new() -> str:
    code = "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(INVITATION_CODE_LENGTH))
    return f"{code[:4]}-{code[4:]}"


def invitation_code_canonical(typed: str) -> str | None:
    """The code as stored, from what a person typed (any case, spaces or dashes between, an O
    for a 0); None if it cannot be one."""
    code = "".join(typed.split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != INVITATION_CODE_LENGTH or set(code) - set(INVITATION_ALPHABET):
        return None
    return code


def invitation_code_digest(canonical: str) -> str:
    # Keyed with SECRET_KEY: eight characters are few enough to try them all against a plain
    # digest from a copy of the database.
    return salted_hmac("accounts.invitation_code", canonical).hexdigest()


class CoachingInvitation(models.Model):
    """A single-use code a trainer gives a client, who redeems it to share their sessions
    and pain reports with that trainer. Only a keyed digest of the code is stored."""

    trainer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="coaching_invitations")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeemed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(
                fields=["trainer", "redeemed_at", "expires_at"], name="invitation_open_idx"
            )
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="accounts_invitation_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation from {self.trainer} ({self.created_at:%Y-%m-%d})"


class CoachingLinkQuerySet(models.QuerySet["CoachingLink"]):
    def active(self) -> "CoachingLinkQuerySet":
        return self.filter(ended_at__isnull=True)

    def for_client(self, user: User) -> "CoachingLinkQuerySet":
        return self.active().filter(client=user)

    def for_trainer(self, user: User) -> "CoachingLinkQuerySet":
        return self.active().filter(trainer=user)


class CoachingLink(models.Model):
    """A client's consent that a trainer sees what they log. Ending it, from either side,
    hides everything of the client from the trainer at once; the row stays as the record."""

    class EndedBy(models.TextChoices):
        CLIENT = "client", "The client"
        TRAINER = "trainer", "The trainer"

    # What a link lets the trainer see: the client's sessions, and the pain in their sets.
    SHARED = ("sessions", "pain")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trainer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="client_links")
    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="trainer_links")
    invitation = models.OneToOneField(
        CoachingInvitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="link"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=7, choices=EndedBy.choices, blank=True)

    objects = CoachingLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "id"]
        permissions: ClassVar = [("coach", "Can coach clients who accept an invitation")]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["trainer", "client"],
                condition=models.Q(ended_at__isnull=True),
                name="accounts_link_one_active_per_pair",
                violation_error_message="This client already shares their log with this trainer.",
            ),
            models.CheckConstraint(
                condition=~models.Q(trainer=models.F("client")),
                name="accounts_link_not_to_oneself",
                violation_error_message="A trainer cannot be their own client.",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True, ended_by="")
                | models.Q(
                    ended_at__gte=models.F("started_at"), ended_by__in=["client", "trainer"]
                ),
                name="accounts_link_ended_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} coached by {self.trainer}"

    @property
    def shares(self) -> list[str]:
        return list(self.SHARED)


def _every_scope() -> list[str]:
    return list(SCOPE_NAMES)


class App(AbstractApplication):
    """A third-party app that people connect to their account (django-oauth-toolkit's
    application): registered by staff, with the redirect URIs it may send people back to and
    the scopes it may ask for. Authorization code with PKCE is the only way in: no implicit
    or password grants, whose tokens would skip the person's consent or hand the app their
    password."""

    authorization_grant_type: "models.CharField[str, str]" = models.CharField(
        max_length=44,
        choices=[(AbstractApplication.GRANT_AUTHORIZATION_CODE, "Authorization code")],
        default=AbstractApplication.GRANT_AUTHORIZATION_CODE,
    )
    allowed_scopes = models.JSONField(
        default=_every_scope,
        help_text="What the app may ask people for; each person still chooses.",
    )

    class Meta(AbstractApplication.Meta):
        verbose_name = "app"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(authorization_grant_type="authorization-code"),
                name="accounts_app_authorization_code_only",
                violation_error_message="Apps connect with the authorization code grant only.",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        scopes = self.allowed_scopes
        if not isinstance(scopes, list) or not all(isinstance(name, str) for name in scopes):
            raise ValidationError({"allowed_scopes": "Give a list of scope names."})
        if unknown := sorted(set(scopes) - set(SCOPE_NAMES)):
            raise ValidationError({"allowed_scopes": f"No such scope: {', '.join(unknown)}."})


class PersonalToken(models.Model):
    """A token a person makes for their own scripts: an access token of no app, with the
    scopes and the expiry they chose, kept as a digest as every token is. Deleting its access
    token revokes it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="personal_tokens")
    name = models.CharField(max_length=100)
    access_token = models.OneToOneField(
        settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL,
        on_delete=models.CASCADE,
        related_name="personal",
    )
    created_at = models.DateTimeField(default=timezone.now)

    # Named for the type checker, which cannot follow the toolkit's untyped model here.
    objects: ClassVar[models.Manager["PersonalToken"]] = models.Manager()

    class Meta:
        ordering = ["-created_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "name"],
                name="accounts_personal_token_name_unique",
                violation_error_message="You have a token of this name already.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def scopes(self) -> list[str]:
        return self.access_token.scope.split()

    @property
    def expires_at(self) -> datetime:
        return self.access_token.expires
