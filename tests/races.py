"""Threads that race on real database connections, for the concurrency tests.

Each thread talks to the database over its own connection (Django keeps one per thread), so
row locks and unique constraints decide the outcome exactly as between two gunicorn workers.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

# Seconds any one wait may take before the test fails instead of hanging.
TIMEOUT = 20


class Worker(threading.Thread):
    """Runs one call on its own thread and database connection, and keeps what it returned."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.call = call
        self.returned: Any = None
        self.raised: BaseException | None = None

    def run(self) -> None:
        try:
            self.returned = self.call()
        except BaseException as exc:  # Re-raised in the test's thread, where pytest sees it.
            self.raised = exc
        finally:
            connection.close()


def start(*calls: Callable[[], Any], barrier: bool = True) -> list[Worker]:
    """Start a thread per call; with a barrier, no call begins until every thread is ready."""
    gate = threading.Barrier(len(calls), timeout=TIMEOUT) if barrier else None

    def released(call: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            if gate is not None:
                gate.wait()
            return call()

        return run

    workers = [Worker(released(call)) for call in calls]
    for worker in workers:
        worker.start()
    return workers


def finish(workers: list[Worker]) -> list[Any]:
    deadline = time.monotonic() + TIMEOUT
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    assert not any(worker.is_alive() for worker in workers), f"a thread hung for {TIMEOUT} s"
    for worker in workers:
        if worker.raised is not None:
            raise worker.raised
    return [worker.returned for worker in workers]


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls on threads released at one moment; what each returned, in order."""
    return finish(start(*calls))


def waits_for_lock(worker: threading.Thread) -> bool:
    """Whether the worker ends up blocked on a lock (True) or finishes without one (False)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        if not worker.is_alive():
            return False
        time.sleep(0.01)
    pytest.fail(f"the worker neither waited for a lock nor finished within {TIMEOUT} s")
