from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from sessions.models import IdempotencyRecord


class Command(BaseCommand):
    help = (
        "Delete stored Idempotency-Key answers older than IDEMPOTENCY_KEY_TTL (24 hours by "
        "default), which no retry can use any more. Run it daily, from cron or a scheduler."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
        deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(
            f"Deleted {deleted} idempotency records older than {cutoff:%Y-%m-%d %H:%M}."
        )
