"""Webhooks end to end, as production runs them: a change enqueues its delivery job, a Celery
worker signs and sends it to a receiver on loopback, tries again after 5xx (the beat's task,
asked for here), and the log says how each try went."""

import time
import uuid

import pytest
from django.db import connection, transaction
from standardwebhooks.webhooks import Webhook

from hipflex_api.webhooks import services
from hipflex_api.webhooks.events import EventType
from hipflex_api.webhooks.models import Delivery
from hipflex_api.webhooks.tasks import send_due
from tests import servers
from tests.factories import EndpointFactory
from tests.jobs.conftest import jobs_on

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(redis_server, tmp_path):
    """A production worker on a queue of this test's own, on the test's database."""
    if connection.vendor != "postgresql":
        pytest.skip("The worker shares the test's database: PostgreSQL's.")
    run = uuid.uuid4().hex
    broker = f"{redis_server}/{servers.REDIS_DATABASES['worker']}"
    env = servers.production_env(
        REDIS_URL=broker,
        CACHE_KEY_PREFIX=f"webhooks-{run}",
        CELERY_BROKER_URL=broker,
        CELERY_QUEUE=f"webhooks-{run}",
        # The receiver is on loopback, which production refuses unless told.
        WEBHOOK_ALLOW_LOOPBACK="true",
        WEBHOOK_RETRY_SECONDS="1,1,1",
    )
    process = servers.celery("worker", env, tmp_path, "--pool=solo", "-n", f"{run}@%h")
    try:
        process.wait_for_output(" ready.")
        with jobs_on(broker, f"webhooks-{run}"):
            yield process
    finally:
        process.stop()


def test_the_worker_delivers_verifiably_and_retries_a_failing_receiver(worker, receiver, user):
    endpoint = EndpointFactory(user=user, url=receiver.url, events=["session.created"])
    receiver.answer(500, 500)
    with transaction.atomic():
        event = services.emit(user_id=user.pk, type=EventType.SESSION_CREATED, data={"n": 1})
    deadline = time.monotonic() + 30
    while len(receiver.requests) < 3 and time.monotonic() < deadline:
        time.sleep(1.2)  # WEBHOOK_RETRY_SECONDS is 1 s on the worker.
        send_due.delay()
    arrived = receiver.wait_for(3, timeout=5)

    for headers, body, _ in arrived:
        assert Webhook(endpoint.secret).verify(body, headers)["data"] == {"user": user.pk, "n": 1}
        assert headers["webhook-id"] == event.message_id
    delivery = Delivery.objects.get()
    assert delivery.status == "delivered"
    assert [t.status_code for t in delivery.tries.all()] == [500, 500, 200]
    time.sleep(1.5)
    send_due.delay()
    time.sleep(1.5)
    assert len(receiver.requests) == 3  # Once delivered, never again.
