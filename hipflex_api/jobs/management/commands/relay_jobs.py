from typing import Any

from django.core.management.base import BaseCommand

from hipflex_api.jobs.outbox import relay


class Command(BaseCommand):
    help = (
        "Hand to the broker the jobs it did not take when they were enqueued (a mail asked for "
        "while it was down). Beat runs this every JOBS_RELAY_SECONDS; cron may run it instead."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{relay()} kept job(s) handed to the broker.")
