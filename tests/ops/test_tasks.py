"""Every task run logs one line and counts, in Prometheus, by task and outcome."""

import logging

from prometheus_client import REGISTRY

from hipflex_api.ops.logs import RequestIdFilter, current_request_id
from tests.ops.tasks import add, fail

TASKS = "hipflex_api.tasks"


def _runs(task, outcome):
    labels = {"task": task, "outcome": outcome}
    return REGISTRY.get_sample_value("celery_task_runs_total", labels) or 0.0


def _failures(task, exception):
    labels = {"task": task, "exception": exception}
    return REGISTRY.get_sample_value("celery_task_failures_total", labels) or 0.0


def _task_lines(caplog):
    return [record for record in caplog.records if record.name == TASKS]


def test_a_task_run_logs_its_name_id_outcome_and_duration(caplog):
    with caplog.at_level(logging.INFO, logger=TASKS):
        # Run eagerly, in this process, as the project runs tasks when no broker is set.
        result = add.apply(args=(2, 3))

    assert result.result == 5
    [line] = _task_lines(caplog)
    assert (line.task, line.task_id, line.outcome) == ("tests.ops.add", result.id, "success")
    assert isinstance(line.duration_ms, float)
    assert line.duration_ms >= 0


def test_a_task_run_is_counted_by_outcome():
    before = _runs("tests.ops.add", "success")

    add.apply(args=(1, 1))

    assert _runs("tests.ops.add", "success") == before + 1


def test_a_failed_task_run_logs_its_failure_and_is_counted(caplog):
    runs, failures = _runs("tests.ops.fail", "failure"), _failures("tests.ops.fail", "ValueError")

    with caplog.at_level(logging.INFO, logger=TASKS):
        result = fail.apply()

    assert result.failed()
    [line] = _task_lines(caplog)
    assert (line.task, line.task_id, line.outcome) == ("tests.ops.fail", result.id, "failure")
    assert _runs("tests.ops.fail", "failure") == runs + 1
    assert _failures("tests.ops.fail", "ValueError") == failures + 1


def test_a_task_run_eagerly_while_a_request_is_answered_carries_its_id(caplog):
    caplog.handler.addFilter(RequestIdFilter())
    # As RequestIdMiddleware sets it for the request that enqueued the task.
    token = current_request_id.set("req-for-task")
    try:
        with caplog.at_level(logging.INFO, logger=TASKS):
            add.apply(args=(0, 0))
    finally:
        current_request_id.reset(token)

    [line] = _task_lines(caplog)
    assert line.request_id == "req-for-task"
