from typing import Any

from celery import current_app
from django.core.management.base import BaseCommand

from hipflex_api.jobs.outbox import relay


class Command(BaseCommand):
    help = (
        "Hand to the broker the jobs it did not take when they were enqueued (a mail asked for "
        "while it was down). Beat runs this every JOBS_RELAY_SECONDS; cron may run it instead."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Every task a row may name, as a worker imports them (without Celery's Django set-up
        # again, which would configure logging a second time).
        for module in current_app.loader.default_modules:
            current_app.loader.import_task_module(module)
        current_app.autodiscover_tasks(force=True)
        self.stdout.write(f"{relay()} kept job(s) handed to the broker.")
