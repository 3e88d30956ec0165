from celery import shared_task

from .keys import purge


@shared_task(name="hipflex_api.idempotency.purge")
def purge_idempotency_records() -> int:
    """Idempotency-Key answers no retry can use any more (as `purge_idempotency_records`)."""
    deleted, _ = purge()
    return deleted
