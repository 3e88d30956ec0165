from typing import Any

from django.core.management.base import BaseCommand

from hipflex_api.idempotency.keys import purge


class Command(BaseCommand):
    help = (
        "Delete stored Idempotency-Key answers older than IDEMPOTENCY_KEY_TTL (24 hours by "
        "default), which no retry can use any more. Run it daily, from cron or a scheduler."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted, cutoff = purge()
        self.stdout.write(
            f"Deleted {deleted} idempotency records older than {cutoff:%Y-%m-%d %H:%M}."
        )
