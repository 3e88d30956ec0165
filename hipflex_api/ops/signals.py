"""One log line and the counters for each Celery task run, from Celery's signals, and the end
of a request's id; connected by OpsConfig.ready, so in web and worker processes alike."""

import logging
import time
from typing import Any

from celery import signals
from django.core.signals import request_finished
from django.dispatch import receiver

from .logs import current_request_id
from .metrics import TASK_FAILURES, TASK_RUNS

logger = logging.getLogger("hipflex_api.tasks")


@receiver(request_finished)
def _forget_request_id(**kwargs: Any) -> None:
    # Lines logged between requests belong to none.
    current_request_id.set(None)


# When each running task started, by task id; task_postrun always follows task_prerun.
_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_started(task_id: str, **kwargs: Any) -> None:
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    started = _started.pop(task_id, None)
    duration_ms = None if started is None else round((time.perf_counter() - started) * 1000, 1)
    outcome = (state or "unknown").lower()
    TASK_RUNS.labels(task=task.name, outcome=outcome).inc()
    logger.info(
        "task %s %s: %s in %s ms",
        task.name,
        task_id,
        outcome,
        duration_ms,
        extra={
            "task": task.name,
            "task_id": task_id,
            "outcome": outcome,
            "duration_ms": duration_ms,
        },
    )


@signals.task_failure.connect
def _task_failed(sender: Any, exception: BaseException, **kwargs: Any) -> None:
    TASK_FAILURES.labels(task=sender.name, exception=type(exception).__name__).inc()
