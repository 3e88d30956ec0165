"""Checks that several test modules share."""

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hipflex_api.serializers import ERROR_CODES

ERROR_KEYS = {"status", "code", "detail", "errors"}
FIELD_ERROR_KEYS = {"field", "code", "message"}


def assert_error(response, status, code):
    """Check the one error shape and return the body for further checks."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    # A 500 also quotes the request's id, under which its log lines are found.
    assert set(body) == (ERROR_KEYS | {"request_id"} if status == 500 else ERROR_KEYS)
    assert body["status"] == status
    assert body["code"] == code
    assert code in ERROR_CODES, f"{code!r} is not in hipflex_api.serializers.ERROR_CODES"
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert set(error) == FIELD_ERROR_KEYS
    return body


def error_fields(response):
    """The fields a 400 names."""
    assert response.status_code == 400, response.content
    return {error["field"] for error in response.json()["errors"]}


def body_of(response):
    """The bytes of an answer, streamed (the export) or not. A streamed body can be read only
    once, so it is put back read: a second call gets the same bytes."""
    if not response.streaming:
        return response.content
    body = b"".join(response.streaming_content)
    response.streaming_content = [body]
    return body


def json_of(response):
    """The JSON of an answer, streamed or not (a test client's `.json()` needs `.content`)."""
    return json.loads(body_of(response))


class _Hung(BaseException):
    """Not an Exception, so that no `except Exception` on the way (the answers' cache hides
    every failure of Redis) can swallow the alarm and let a hang pass."""


def answered_within(call, seconds):
    """`call()`'s answer, failing if it has none after `seconds`: the API must not wait on a
    part that hangs for longer than its timeouts. (An alarm, not a thread: the test's
    database connection is this thread's.)"""

    def hung(signum, frame):
        raise _Hung

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        return call()
    except _Hung:
        raise AssertionError(f"no answer within {seconds} s") from None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def models_before(app: str, migration: str) -> Iterator[Apps]:
    """The models as they were at `migration` of `app`, the database migrated back to it, for
    rows that the later migrations then meet: they run when the block ends, and the database
    is at the latest migration again afterwards, whatever happened."""
    executor = MigrationExecutor(connection)
    before = [(app, migration)]
    executor.migrate(before)
    try:
        yield executor.loader.project_state(before).apps
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        latest = MigrationExecutor(connection)
        latest.migrate(latest.loader.graph.leaf_nodes())
