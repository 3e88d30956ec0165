"""Real parts for the jobs tests: a Celery worker beside the SMTP server in this process.

The worker is a `celery worker` process on the local Redis, started once for the session, that
sends through the suite's SMTP server (tests.conftest). Tests hand it jobs by making requests:
with the `on_worker` fixture, this process enqueues on that Redis instead of running jobs
itself.
"""

import os
import sys
import uuid
from contextlib import contextmanager

import pytest

from hipflex_api import celery_app
from tests.servers import REDIS_DATABASES, Process


@pytest.fixture(scope="session")
def broker_url(redis_server):
    return f"{redis_server}/{REDIS_DATABASES['worker']}"


@pytest.fixture(scope="session")
def queue():
    """A queue of this run's own, so that two runs on one machine never take each other's jobs."""
    return f"suite-{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def celery_worker(smtp_server, broker_url, queue, tmp_path_factory):
    """A `celery -A hipflex_api worker` process, sending mail to `smtp_server`."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "HIPFLEX_TEST_ENVIRONMENT": "own",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        # Short waits between tries, so the retry tests take seconds.
        "MAIL_RETRY_BACKOFF_SECONDS": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "hipflex_api", "worker", "--pool=solo"]
    command += ["--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", "suite@%h"]
    worker = Process("worker", command, env, tmp_path_factory.mktemp("worker"))
    try:
        worker.wait_for_output(" ready.")
        yield worker
    finally:
        worker.stop()


@contextmanager
def jobs_on(broker_url, queue="celery"):
    """Jobs enqueued by this process go to `queue` on `broker_url` instead of running here."""
    # The application reads the settings under their CELERY_ names, which win over the others.
    conf = celery_app.conf
    saved = {
        "CELERY_TASK_ALWAYS_EAGER": conf.task_always_eager,
        "CELERY_BROKER_URL": conf.broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": conf.task_default_queue,
    }
    conf.update(
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    _forget_broker_connections()
    try:
        yield
    finally:
        conf.update(saved)
        _forget_broker_connections()


def _forget_broker_connections():
    # Even an eager run sets up the connection pool, bound to the broker of that moment; the
    # next publish must connect to the broker configured now (as after a fork, in Celery).
    celery_app._after_fork()


@pytest.fixture
def on_worker(celery_worker, smtp_server, broker_url, queue):
    """Jobs enqueued by this process go to the worker's queue instead of running here."""
    smtp_server.clear()
    with jobs_on(broker_url, queue):
        yield celery_worker
