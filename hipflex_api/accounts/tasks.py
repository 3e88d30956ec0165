"""Housekeeping beat runs (settings.CELERY_BEAT_SCHEDULE); each is safe to run twice at once."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from . import services


@shared_task(name="hipflex_api.accounts.purge_account_tokens")
def purge_account_tokens() -> int:
    """Mailed reset and confirmation tokens past their expiry."""
    return services.purge_account_tokens()


@shared_task(name="hipflex_api.accounts.flush_expired_jwts")
def flush_expired_jwts() -> int:
    """Refresh tokens past their expiry, with their blacklist rows (as `flushexpiredtokens`)."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@shared_task(name="hipflex_api.accounts.clear_sessions")
def clear_sessions() -> int:
    """The admin's expired login sessions (as `clearsessions`, for the database backend)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
