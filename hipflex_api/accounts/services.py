from django.db import transaction
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from hipflex_api.changes.counters import forget_user_changes, lock_user_changes

from .models import User


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
