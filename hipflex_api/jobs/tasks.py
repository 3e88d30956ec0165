from celery import shared_task

from .outbox import relay


@shared_task(name="hipflex_api.jobs.relay")
def relay_kept_jobs() -> int:
    """Jobs the broker did not take when they were enqueued (as `relay_jobs`)."""
    return relay()
