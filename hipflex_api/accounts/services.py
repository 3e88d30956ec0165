from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from hipflex_api.changes.counters import forget_user_changes, lock_user_changes
from hipflex_api.domain_errors import ConflictError, InvalidInput

from . import mails
from .models import AccountToken, User, token_digest


def user_revoke_refresh_tokens(*, user: User) -> int:
    """Blacklist every refresh token the user holds, logging out all of their devices."""
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )
    return len(revoked)


@transaction.atomic
def user_change_password(*, user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    user_revoke_refresh_tokens(user=user)


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the account and, through the database's cascades, everything it logged.

    The user's change counter is locked first: an upload in flight commits before the
    cascade collects the rows, and one that starts later finds the account gone.
    """
    lock_user_changes(user.pk)
    user_revoke_refresh_tokens(user=user)
    forget_user_changes(user.pk)
    user.delete()


class InvalidAccountToken(InvalidInput):
    code = "invalid_token"

    def __init__(self) -> None:
        super().__init__(
            "This link or code is not valid: it was used already, has expired, or the "
            "password changed since. Ask for a new one.",
            field="token",
        )


class EmailTaken(ConflictError):
    code = "email_taken"


def _hash_as_if_creating(password: str) -> None:
    # Hashing costs what creating the account would, so timing does not tell who has one.
    make_password(password)


def user_register(*, email: str, password: str, mail: bool = True, **profile: Any) -> None:
    """Create the account and mail a confirmation link; for an address that has an account,
    mail its owner instead. Both look the same to the caller. `mail` False sends nothing
    (the address has had its share of mail for now).

    Not atomic as a whole: the account's creation is, and a concurrent registration that
    committed the address first must be seen after that block rolled back.
    """
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=password, **profile)
                if mail:
                    _mail_confirmation(user)
            return
        except IntegrityError:
            existing = User.objects.filter(email__iexact=email).first()
            if existing is None:
                raise
    else:
        _hash_as_if_creating(password)
    if mail:
        mails.address_in_use(existing)


def _issue(user: User, purpose: str, email: str, seconds: int) -> str:
    return AccountToken.issue(
        user=user, purpose=purpose, email=email, lifetime=timedelta(seconds=seconds)
    )


def _mail_confirmation(user: User) -> None:
    purpose = AccountToken.Purpose.VERIFY_EMAIL
    mails.verify_email(user, _issue(user, purpose, user.email, settings.EMAIL_VERIFY_TIMEOUT))


def _active_user(email: str) -> User | None:
    return User.objects.filter(email__iexact=email, is_active=True).first()


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Mail a reset link, if the address has an active account; say nothing either way."""
    user = _active_user(email)
    if user is not None:
        token = _issue(
            user, AccountToken.Purpose.PASSWORD_RESET, user.email, settings.PASSWORD_RESET_TIMEOUT
        )
        mails.password_reset(user, token)


@transaction.atomic
def email_verification_resend(*, email: str) -> None:
    """Mail a new confirmation link, if the address has an active, unconfirmed account."""
    user = _active_user(email)
    if user is not None and not user.email_verified:
        _mail_confirmation(user)


def _token_row(token: str, purposes: Sequence[str], *, lock: bool = False) -> AccountToken:
    rows = AccountToken.objects.select_related("user").filter(
        digest=token_digest(token), purpose__in=purposes
    )
    row = (rows.select_for_update() if lock else rows).first()
    if row is None or not row.usable(timezone.now()):
        raise InvalidAccountToken()
    return row


def password_reset_user(*, token: str) -> User:
    """Whose password the reset token would set; for checking the new one against them."""
    return _token_row(token, [AccountToken.Purpose.PASSWORD_RESET]).user


@transaction.atomic
def password_reset_confirm(*, token: str, password: str) -> User:
    """Set the password, log out every device, and spend every reset token of the account.

    The reset proves the owner reads the address, so it confirms the address as well.
    """
    row = _token_row(token, [AccountToken.Purpose.PASSWORD_RESET], lock=True)
    user = row.user
    if not user.email_verified:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    user_change_password(user=user, password=password)
    AccountToken.objects.filter(user=user, purpose=AccountToken.Purpose.PASSWORD_RESET).delete()
    return user


_ADDRESS_TOKENS = [AccountToken.Purpose.VERIFY_EMAIL, AccountToken.Purpose.EMAIL_CHANGE]
_TAKEN = "Another account has taken this address since the link was sent."


@transaction.atomic
def email_confirm(*, token: str) -> User:
    """Confirm the address the token was mailed to: the account's own, or the one it moves to.

    A move spends every token of the account (those mailed to the old address are no proof
    of anything now); a confirmation only the other confirmation tokens.
    """
    row = _token_row(token, _ADDRESS_TOKENS, lock=True)
    user = row.user
    user.email_verified_at = timezone.now()
    spent = AccountToken.objects.filter(user=user)
    if row.purpose == AccountToken.Purpose.EMAIL_CHANGE:
        if User.objects.filter(email__iexact=row.email).exclude(pk=user.pk).exists():
            raise EmailTaken(_TAKEN)
        user.email = row.email
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "email_verified_at"])
        except IntegrityError as exc:  # Another account took it since the check above.
            raise EmailTaken(_TAKEN) from exc
    else:
        user.save(update_fields=["email_verified_at"])
        spent = spent.filter(purpose=AccountToken.Purpose.VERIFY_EMAIL)
    spent.delete()
    return user


@transaction.atomic
def email_change_request(*, user: User, new_email: str) -> None:
    """Mail a confirmation link to the new address and a notice to the current one.

    The address changes only when the link is used (email_confirm). An address that has an
    account is never moved to: its owner is told someone tried instead, and the caller, whose
    current address gets the notice either way, sees no difference.
    """
    taken = User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).first()
    if taken is not None:
        mails.address_in_use(taken)
    else:
        purpose = AccountToken.Purpose.EMAIL_CHANGE
        token = _issue(user, purpose, new_email, settings.EMAIL_VERIFY_TIMEOUT)
        mails.email_change(new_email, token)
    mails.email_change_notice(user, new_email)


def purge_account_tokens(*, now: datetime | None = None) -> int:
    """Delete the mailed tokens that have expired; how many."""
    deleted, _ = AccountToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
