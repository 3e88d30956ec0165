from typing import Any

from django.core.management.base import BaseCommand

from hipflex_api.accounts.services import purge_account_tokens


class Command(BaseCommand):
    help = (
        "Delete mailed password-reset and address-confirmation tokens that have expired. "
        "Celery beat runs this hourly; run it from cron instead if you run no beat."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Deleted {purge_account_tokens()} expired account tokens.")
