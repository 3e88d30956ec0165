from typing import Any

from django.core.management.base import BaseCommand

from sessions.services import adherence_tell_weekly


class Command(BaseCommand):
    help = (
        "Send `adherence.weekly` for each program whose week ended in its client's time zone "
        "since it was last told. Celery beat runs this hourly; run it from cron instead, as "
        "often, if you run no beat."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Told {adherence_tell_weekly()} programs' weeks.")
