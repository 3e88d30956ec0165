"""Enqueueing through the database (see the package's docstring), and the relay."""

import functools
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models.functions import Now
from kombu.exceptions import KombuError

from hipflex_api.ops.metrics import JOBS_KEPT

from .models import Job

logger = logging.getLogger(__name__)

# Rows the relay locks and hands over per transaction.
RELAY_BATCH = 100


def enqueue(task: str, args: Sequence[Any], *, argsrepr: str) -> Job:
    """Keep the job in the current transaction; once that commits, hand it to the broker."""
    job = Job.objects.create(task=task, args=list(args), argsrepr=argsrepr)
    # Robust: the request's answer does not depend on the broker, and a failure here is logged.
    transaction.on_commit(functools.partial(_hand_over, job), robust=True)
    return job


def _hand_over(job: Job) -> None:
    if not _publish(job):
        JOBS_KEPT.labels(task=job.task).inc()
        logger.warning("Job %s kept until the broker takes it", job)
        return
    try:
        Job.objects.filter(pk=job.pk).delete()
    except DatabaseError as exc:
        # The relay hands it over again later, and the task runs once for its id.
        logger.warning("Job %s handed to the broker but still kept: %s", job, type(exc).__name__)


def publish_on_commit(task: str, args: Sequence[Any], *, argsrepr: str) -> None:
    """Hand a job to the broker once the current transaction commits, keeping no row: for a
    job whose own rows say it is owed, which a beat run of its own finds if the broker took
    it not (webhook deliveries: send_due, once their lease has passed). It spares the
    request a row written, and a commit of its own to delete it."""
    job = Job(task=task, args=list(args), argsrepr=argsrepr)  # Unsaved: its id names the task.
    transaction.on_commit(functools.partial(_publish_unkept, job), robust=True)


def _publish_unkept(job: Job) -> None:
    if not _publish(job):
        logger.warning("Job %s not taken; its own beat run does it later", job)


def import_tasks() -> None:
    """Register every task a row may name, as a worker does at start-up: a web process has
    imported only what its requests used. (Not Celery's import_default_modules, which would
    set Django up, and its logging, a second time.)"""
    for module in current_app.loader.default_modules:
        current_app.loader.import_task_module(module)
    current_app.autodiscover_tasks(force=True)


def _broker_errors() -> tuple[type[BaseException], ...]:
    """What a broker that is down or hangs raises, on this deployment's transport."""
    connection = current_app.connection_for_write()
    return (KombuError, OSError, *connection.connection_errors, *connection.channel_errors)


def _publish(job: Job) -> bool:
    """Whether the job is done with here: the broker took it (or, without a broker, it ran),
    or it can never be handed over (a task this version lacks, arguments it no longer takes),
    which is logged. False only when the broker failed, so that the row keeps the job."""
    if job.task not in current_app.tasks:
        import_tasks()
    try:
        task = current_app.tasks[job.task]
        task.apply_async(args=job.args, task_id=str(job.pk), argsrepr=job.argsrepr, kwargsrepr="{}")
    except _broker_errors() as exc:
        logger.debug("Job %s not taken: %s", job, type(exc).__name__)
        return False
    except Exception as exc:  # A row no broker will ever take: dropped, not retried forever.
        logger.error(
            "Job %s cannot be run by this version; dropped: %s: %s", job, type(exc).__name__, exc
        )
    return True


def relay() -> int:
    """Hand the kept jobs to the broker, oldest first, until none is left or the broker
    refuses one; how many it took. Runs beside other relays: each locks the rows it hands."""
    # Younger rows are left to the hand-over their own request makes after it commits (which
    # gives up within the broker's timeouts): two hand-overs of a job are harmless, but one
    # is enough.
    older_than = timedelta(seconds=settings.JOBS_RELAY_SECONDS)
    handed_total = 0
    while True:
        with transaction.atomic():
            due = Job.objects.filter(created_at__lte=Now() - older_than)
            due = due.select_for_update(skip_locked=True).order_by("created_at")
            jobs = list(due[:RELAY_BATCH])
            handed = []
            for job in jobs:
                if not _publish(job):
                    logger.warning("The broker still takes no job; %s wait", due.count())
                    break
                handed.append(job.pk)
            Job.objects.filter(pk__in=handed).delete()
        handed_total += len(handed)
        if len(handed) < RELAY_BATCH:
            if handed_total:
                logger.info("Relayed %d kept job(s) to the broker", handed_total)
            return handed_total
