import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken, set_token_value
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from hipflex_api.changes.counters import (
    forget_user_changes,
    lock_user_changes,
    note_links_changed,
)
from hipflex_api.domain_errors import ConflictError, InvalidInput, OverLimit

from . import mails
from .models import (
    AccountToken,
    App,
    CoachingInvitation,
    CoachingLink,
    PersonalToken,
    User,
    invitation_code_canonical,
    invitation_code_digest,
    invitation_code_new,
    token_digest,
)
from .permissions import COACH_PERMISSION
from .signals import ConnectionEnd, connections_ended, link_ended


def user_revoke_refresh_tokens(*, user: User) -> int:
    """Blacklist every refresh token the user holds, logging out all of their devices."""
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )
    return len(revoked)


def _delete_oauth_tokens(**which: Any) -> None:
    """The toolkit's tokens and codes that `which` names: refresh tokens first, whose rows
    point at the access tokens."""
    for model in (RefreshToken, AccessToken, Grant):
        model.objects.filter(**which).delete()


def user_revoke_app_tokens(*, user: User) -> None:
    """Every token made from the person's credentials goes: the apps they connected (which
    they connect again, and are told) and their personal tokens (their access tokens take
    them along)."""
    if connected := connected_apps(user_id=user.pk):
        connections_ended.send(
            sender=User,
            user_id=user.pk,
            app_ids=sorted(connected),
            reason=ConnectionEnd.PASSWORD_CHANGED,
        )
    _delete_oauth_tokens(user=user)


@transaction.atomic
def user_change_password(*, user: User, password: str) -> None:
    """The new password, and every session made with the old one ended: the person's devices,
    their connected apps and their personal tokens (one made by whoever knew the password)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    user_revoke_refresh_tokens(user=user)
    user_revoke_app_tokens(user=user)


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the account and, through the database's cascades, everything it logged.

    The user's change counter is locked first: an upload in flight commits before the
    cascade collects the rows, and one that starts later finds the account gone. Its coaching
    links end before they go, so that what was prescribed through them leaves the clients'
    plans and devices.
    """
    lock_user_changes(user.pk)
    for link in CoachingLink.objects.active().filter(Q(trainer=user) | Q(client=user)):
        side = (
            CoachingLink.EndedBy.TRAINER
            if link.trainer_id == user.pk
            else CoachingLink.EndedBy.CLIENT
        )
        coaching_link_end(link=link, by=side)
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


class InvitationNotValid(InvalidInput):
    """An invitation code that cannot be redeemed; `code` says why, for the app to say."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, field="code")
        self.code = code


def _open_invitations(trainer: User, now: datetime) -> Any:
    return CoachingInvitation.objects.filter(
        trainer=trainer, redeemed_at__isnull=True, expires_at__gt=now
    )


@transaction.atomic
def coaching_invitation_create(*, trainer: User) -> tuple[CoachingInvitation, str]:
    """A new invitation and its code, whose only plain copy this is (for the trainer)."""
    User.objects.select_for_update().filter(pk=trainer.pk).first()  # One count at a time.
    now = timezone.now()
    if _open_invitations(trainer, now).count() >= settings.MAX_OPEN_INVITATIONS:
        raise OverLimit(
            f"You have {settings.MAX_OPEN_INVITATIONS} invitations nobody has used yet "
            "(`MAX_OPEN_INVITATIONS`); withdraw one, or wait for one to be used or to expire."
        )
    expires_at = now + timedelta(hours=settings.COACHING_INVITATION_HOURS)
    for _attempt in range(3):
        code = invitation_code_new()
        try:
            with transaction.atomic():  # A code drawn twice (1 in 10^12) is drawn again.
                invitation = CoachingInvitation.objects.create(
                    trainer=trainer,
                    digest=invitation_code_digest(invitation_code_canonical(code) or ""),
                    created_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:
            continue
        return invitation, code
    raise ConflictError("No new invitation code could be drawn; retry.")


def _lock_users(*users: User) -> None:
    # In one order, so that two redemptions locking the same pair cannot deadlock.
    list(User.objects.select_for_update().filter(pk__in=[u.pk for u in users]).order_by("pk"))


@transaction.atomic
def coaching_invitation_redeem(*, client: User, code: str) -> tuple[CoachingLink, bool]:
    """The link a code makes between its trainer and `client`, and whether it is new: a
    retry of a redemption whose answer was lost, or a second code from a trainer the client
    already shares with, finds the link that stands."""
    canonical = invitation_code_canonical(code)
    invitation = (
        None
        if canonical is None
        else CoachingInvitation.objects.select_for_update()
        .select_related("trainer")
        .filter(digest=invitation_code_digest(canonical))
        .first()
    )
    if invitation is None:
        raise InvitationNotValid(
            "No invitation has this code: check it with your trainer.", "invitation_unknown"
        )
    trainer = invitation.trainer
    if trainer.pk == client.pk:
        raise InvitationNotValid(
            "This is your own invitation: give it to the client you coach.", "invitation_own"
        )
    _lock_users(client, trainer)
    standing = CoachingLink.objects.for_client(client).filter(trainer=trainer).first()
    if standing is not None:
        return standing, False
    now = timezone.now()
    if invitation.redeemed_at is not None:
        raise InvitationNotValid(
            "This invitation has been used already: ask your trainer for a new one.",
            "invitation_used",
        )
    if invitation.expires_at <= now:
        raise InvitationNotValid(
            "This invitation has expired: ask your trainer for a new one.", "invitation_expired"
        )
    if not trainer.is_active or not trainer.has_perm(COACH_PERMISSION):
        raise InvitationNotValid(
            "The trainer who made this invitation no longer coaches here.", "invitation_unknown"
        )
    if CoachingLink.objects.for_client(client).count() >= settings.MAX_TRAINERS_PER_CLIENT:
        raise OverLimit(
            f"You share your log with {settings.MAX_TRAINERS_PER_CLIENT} trainers already "
            "(`MAX_TRAINERS_PER_CLIENT`): end one of those links first."
        )
    if CoachingLink.objects.for_trainer(trainer).count() >= settings.MAX_CLIENTS_PER_TRAINER:
        raise OverLimit(
            f"This trainer coaches {settings.MAX_CLIENTS_PER_TRAINER} clients already "
            "(`MAX_CLIENTS_PER_TRAINER`), as many as they may."
        )
    invitation.redeemed_at, invitation.redeemed_by = now, client
    invitation.save(update_fields=["redeemed_at", "redeemed_by"])
    link = CoachingLink.objects.create(
        trainer=trainer, client=client, invitation=invitation, started_at=now
    )
    note_links_changed(trainer.pk)
    return link, True


@transaction.atomic
def coaching_link_end(*, link: CoachingLink, by: str) -> CoachingLink:
    """End a link from either side, at once; ending one already ended changes nothing.

    The client's change counter is locked first, as every write to the client's data takes
    it first: what ending the link ends (their programs) is theirs, and a lock taken later
    than a trainer's change takes it could deadlock with that change."""
    lock_user_changes(link.client_id)
    link = CoachingLink.objects.select_for_update().get(pk=link.pk)
    if link.ended_at is None:
        link.ended_at, link.ended_by = timezone.now(), by
        link.save(update_fields=["ended_at", "ended_by"])
        link_ended.send(sender=CoachingLink, link=link)
        note_links_changed(link.trainer_id)
    return link


@dataclass(frozen=True)
class Connection:
    """An app the person connected, while any of its tokens for them lives: what it may see
    (the scopes of those tokens) and since when."""

    app: App
    scopes: list[str]
    connected_at: datetime


def live_app_tokens(*, user_id: int) -> Any:
    """The person's tokens that connect an app: a live access token, or one whose refresh
    token can still make another."""
    now = timezone.now()
    return AccessToken.objects.filter(user_id=user_id, application__isnull=False).filter(
        Q(expires__gt=now) | Q(refresh_token__isnull=False, refresh_token__revoked__isnull=True)
    )


def apps_holding_tokens(*, user_id: int) -> Any:
    """The ids of the apps that hold a token of the person's, live or not: a cheap superset
    of connected_apps, for a subquery that connected_apps then narrows."""
    return AccessToken.objects.filter(user_id=user_id).values("application_id")


def connected_apps(*, user_id: int, among: Sequence[int] | None = None) -> dict[int, set[str]]:
    """The apps the person has connected (of `among`, if given), with the scopes granted."""
    tokens = live_app_tokens(user_id=user_id)
    if among is not None:
        tokens = tokens.filter(application_id__in=among)
    granted: dict[int, set[str]] = {}
    for app_id, scope in tokens.values_list("application_id", "scope"):
        granted.setdefault(app_id, set()).update(scope.split())
    return granted


def connections_of(*, user: User) -> list[Connection]:
    """The apps the person has connected, the latest first."""
    found: dict[int, tuple[App, set[str], datetime]] = {}
    tokens = live_app_tokens(user_id=user.pk).select_related("application").order_by("created")
    for token in tokens:
        _, scopes, _ = found.setdefault(
            token.application_id, (token.application, set(), token.created)
        )
        scopes.update(token.scope.split())
    connections = [Connection(app, sorted(scopes), since) for app, scopes, since in found.values()]
    return sorted(connections, key=lambda c: (c.connected_at, c.app.pk), reverse=True)


@transaction.atomic
def connection_revoke(*, user: User, app_id: int) -> bool:
    """Disconnect the app at once: every token and code it holds for the person goes. Whether
    it was connected."""
    connected = live_app_tokens(user_id=user.pk).filter(application_id=app_id).exists()
    if connected:
        connections_ended.send(
            sender=User, user_id=user.pk, app_ids=[app_id], reason=ConnectionEnd.REVOKED
        )
    _delete_oauth_tokens(user=user, application_id=app_id)
    return connected


# What a personal token starts with, so that a secret scanner can tell one in a leaked file.
PERSONAL_TOKEN_PREFIX = "hfpat_"  # noqa: S105 - a prefix, not a secret


class PersonalTokenNameTaken(InvalidInput):
    """The person has a token of this name already."""


@transaction.atomic
def personal_token_create(
    *, user: User, name: str, scopes: Sequence[str], days: int
) -> tuple[PersonalToken, str]:
    """A new personal token and its value, whose only plain copy this is (for the person)."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # One count at a time.
    now = timezone.now()
    mine = PersonalToken.objects.filter(user=user)
    if mine.filter(access_token__expires__gt=now).count() >= settings.MAX_PERSONAL_TOKENS:
        raise OverLimit(
            f"You have {settings.MAX_PERSONAL_TOKENS} personal tokens that work "
            "(`MAX_PERSONAL_TOKENS`): revoke one first."
        )
    if mine.filter(name=name).exists():
        raise PersonalTokenNameTaken("You have a token of this name already.", field="name")
    raw = PERSONAL_TOKEN_PREFIX + secrets.token_urlsafe(32)
    access = AccessToken(user=user, expires=now + timedelta(days=days), scope=" ".join(scopes))
    set_token_value(access, raw)  # Its digest only, as every token.
    access.save()
    return PersonalToken.objects.create(user=user, name=name, access_token=access), raw


def personal_token_revoke(*, token: PersonalToken) -> None:
    """At once: its next request gets 401. (Its access token takes the row along.)"""
    token.access_token.delete()
