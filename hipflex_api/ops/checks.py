"""What /readyz checks: the database, the cache, the counters' store and, when one is
configured, the Celery broker, all at once and each within READINESS_TIMEOUT_SECONDS."""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from kombu import Connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    component: str
    code: str
    message: str


def _database() -> None:
    # A connection of this thread's own, closed again: the probe never holds one open.
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def _store(alias: str) -> Callable[[], None]:
    def check() -> None:
        # A key of its own, so that two processes probing at once cannot mistake each other's.
        caches[alias].probe(f"readyz:{uuid.uuid4().hex}")  # type: ignore[attr-defined]

    return check


def _broker() -> None:
    timeout = settings.READINESS_TIMEOUT_SECONDS
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as connection:
        connection.ensure_connection(max_retries=0, timeout=timeout)


# What no request can be answered without: its failure alone makes /readyz a 503.
NEEDED = {"database"}


def components() -> dict[str, Callable[[], None]]:
    # The counters (throttles, mail claims) may live in a Redis of their own: without them no
    # login can be counted, so they are checked as well as the answers' cache.
    checks = {
        "database": _database,
        "cache": _store("default"),
        "counters": _store(settings.COUNTERS_CACHE),
    }
    if not settings.CELERY_TASK_ALWAYS_EAGER:  # Else jobs run in the process: no broker.
        checks["broker"] = _broker
    return checks


def _run(name: str, check: Callable[[], None], errors: dict[str, Exception | None]) -> None:
    try:
        check()
    except Exception as exc:  # Whatever the client library raises, the component is not ready.
        errors[name] = exc
    else:
        errors[name] = None


def readiness() -> dict[str, Failure | None]:
    """Runs every check at once, each in a daemon thread, and waits for them no longer than
    the timeout: a check that hangs (packets dropped by a firewall) is reported and left to
    end on its own, so a probe never holds a server process for longer than that."""
    timeout = settings.READINESS_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout
    errors: dict[str, Exception | None] = {}
    threads = {
        name: threading.Thread(
            target=_run, args=(name, check, errors), name=f"readyz-{name}", daemon=True
        )
        for name, check in components().items()
    }
    for thread in threads.values():
        thread.start()
    for thread in threads.values():
        thread.join(max(0.0, deadline - time.monotonic()))
    finished = dict(errors)
    return {name: _failure(name, finished, timeout) for name in threads}


def _failure(name: str, finished: dict[str, Exception | None], timeout: float) -> Failure | None:
    if name not in finished:
        logger.warning("Readiness check of the %s timed out after %g s.", name, timeout)
        return Failure(name, "timeout", f"The {name} did not answer within {timeout:g} s.")
    if (error := finished[name]) is None:
        return None
    # The reason stays in the log: the probe is public, and hosts and ports are not.
    logger.warning("Readiness check of the %s failed: %r", name, error)
    return Failure(name, "unreachable", f"The {name} could not be reached.")
