from celery import shared_task

from . import services


@shared_task(name=services.SEND_EVENT)
def send_event(event_id: str) -> int:
    """An event's deliveries, one job each, so that a slow receiver holds up no other."""
    deliveries = services.deliveries_of(event_id)
    for delivery_id in deliveries:
        send_delivery.delay(delivery_id)
    return len(deliveries)


@shared_task(name=services.SEND_DELIVERY)
def send_delivery(delivery_id: str) -> bool | None:
    return services.delivery_send(delivery_id)


@shared_task(name="hipflex_api.webhooks.send_due")
def send_due() -> int:
    """The tries due now (retries, and first tries whose job was lost): the beat's."""
    due = services.due_deliveries()
    for delivery_id in due:
        send_delivery.delay(delivery_id)
    return len(due)


@shared_task(name="hipflex_api.webhooks.purge_log")
def purge_log() -> int:
    """The delivery log past WEBHOOK_LOG_DAYS: housekeeping."""
    return services.purge_log()
