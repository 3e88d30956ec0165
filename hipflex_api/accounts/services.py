from django.db import transaction
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

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
    """Delete the account and, through the database's cascades, everything it logged."""
    user_revoke_refresh_tokens(user=user)
    user.delete()
