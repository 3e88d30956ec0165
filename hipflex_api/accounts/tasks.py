"""Housekeeping beat runs (settings.CELERY_BEAT_SCHEDULE); each is safe to run twice at once."""

from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.core.management import call_command

from . import services


@shared_task(name="hipflex_api.accounts.purge_account_tokens")
def purge_account_tokens() -> int:
    """Mailed reset and confirmation tokens past their expiry."""
    return services.purge_account_tokens()


@shared_task(name="hipflex_api.accounts.flush_expired_jwts")
def flush_expired_jwts() -> None:
    """Refresh tokens past their expiry, with their blacklist rows: simplejwt's own command."""
    call_command("flushexpiredtokens")


@shared_task(name="hipflex_api.accounts.clear_oauth_tokens")
def clear_oauth_tokens() -> None:
    """Apps' access tokens past their expiry that no refresh token can renew, refresh tokens
    past theirs, and authorization codes: django-oauth-toolkit's own `cleartokens`."""
    call_command("cleartokens")


@shared_task(name="hipflex_api.accounts.clear_sessions")
def clear_sessions() -> None:
    """The admin's expired login sessions, as `clearsessions` does, for whichever engine."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
