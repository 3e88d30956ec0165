"""The beat's runs of sessions (settings.CELERY_BEAT_SCHEDULE), each safe to run twice at once."""

from celery import shared_task

from . import services


@shared_task(name="sessions.tell_weekly_adherence")
def tell_weekly_adherence() -> int:
    """`adherence.weekly` for each program whose client's week ended since the last run."""
    return services.adherence_tell_weekly()
