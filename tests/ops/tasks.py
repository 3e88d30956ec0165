"""Tiny tasks for the task-signal tests."""

from celery import shared_task


@shared_task(name="tests.ops.add")
def add(x, y):
    return x + y


@shared_task(name="tests.ops.fail")
def fail():
    raise ValueError("A task that fails.")
