"""The housekeeping beat runs: each deletes what has expired and nothing else."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import AccessToken
from oauth2_provider.models import RefreshToken as OAuthRefreshToken
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from hipflex_api import celery_app
from hipflex_api.accounts import tasks
from hipflex_api.accounts.models import AccountToken
from hipflex_api.idempotency.models import IdempotencyRecord
from hipflex_api.idempotency.tasks import purge_idempotency_records
from tests.factories import AppFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_scheduled_task_exists():
    celery_app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled <= set(celery_app.tasks), scheduled - set(celery_app.tasks)
    assert len(scheduled) == 9


def test_expired_account_tokens_are_purged(user):
    for lifetime in (timedelta(seconds=1), timedelta(hours=1)):
        AccountToken.issue(user=user, purpose="password_reset", email=user.email, lifetime=lifetime)
    AccountToken.objects.filter(expires_at__lt=timezone.now() + timedelta(minutes=1)).update(
        created_at=timezone.now() - timedelta(hours=2), expires_at=timezone.now()
    )

    assert tasks.purge_account_tokens.delay().result == 1
    assert AccountToken.objects.count() == 1


def test_the_command_purges_account_tokens_too(user, capsys):
    AccountToken.issue(user=user, purpose="verify_email", email=user.email, lifetime=timedelta(1))
    AccountToken.objects.update(
        created_at=timezone.now() - timedelta(days=2), expires_at=timezone.now()
    )

    call_command("purge_account_tokens")

    assert "Deleted 1 expired account tokens." in capsys.readouterr().out
    assert not AccountToken.objects.exists()


def test_expired_refresh_tokens_are_flushed_with_their_blacklist_rows():
    user = UserFactory()
    live, dead = RefreshToken.for_user(user), RefreshToken.for_user(user)
    dead.blacklist()
    OutstandingToken.objects.filter(jti=dead["jti"]).update(expires_at=timezone.now())

    tasks.flush_expired_jwts.delay()

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live["jti"]]
    assert not BlacklistedToken.objects.exists()


def test_expired_app_tokens_are_cleared_and_renewable_ones_kept():
    user = UserFactory()
    app = AppFactory()
    now = timezone.now()
    live, dead, renewable = (
        AccessToken.objects.create(user=user, application=app, token=f"t{n}", expires=expires)
        for n, expires in enumerate((now + timedelta(hours=1), now - timedelta(hours=1), now))
    )
    OAuthRefreshToken.objects.create(user=user, application=app, token="r", access_token=renewable)

    tasks.clear_oauth_tokens.delay()

    kept = set(AccessToken.objects.values_list("pk", flat=True))
    assert (kept, dead.pk in kept) == ({live.pk, renewable.pk}, False)


def test_expired_admin_sessions_are_cleared():
    for expiry in (-60, 3600):
        store = SessionStore()
        store.set_expiry(expiry)
        store.create()

    tasks.clear_sessions.delay()

    assert Session.objects.count() == 1


def test_old_idempotency_records_are_purged(user):
    old, new = (
        IdempotencyRecord.objects.create(
            user=user, key=key, request_hash="h", status_code=201, response_body={}
        )
        for key in ("old", "new")
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(minutes=1)
    )

    assert purge_idempotency_records.delay().result == 1
    assert list(IdempotencyRecord.objects.all()) == [new]
