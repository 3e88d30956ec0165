"""One log line per request, in JSON in production and text in development, and the request's
id on every line logged while it is answered."""

import json
import logging
from datetime import datetime

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string

from hipflex_api.ops.logs import RunserverRequestLineFilter
from tests.conftest import EXERCISES_URL, exercise_url
from tests.factories import ExerciseFactory
from tests.ops.conftest import run_python

pytestmark = pytest.mark.django_db

REQUESTS = "hipflex_api.requests"
# A request that needs no database: an unknown URL under /api/, which Django logs a 404 for.
ONE_REQUEST = """
import django
django.setup()
from django.test import Client
Client().get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID="trace-e2e")
"""


def _request_lines(caplog):
    return [record for record in caplog.records if record.name == REQUESTS]


def _json_formatter():
    config = dict(django_settings.LOGGING["formatters"]["json"])
    return import_string(config.pop("()"))(**config)


def test_a_request_logs_one_line_with_route_status_duration_and_user(user_client, user, caplog):
    exercise = ExerciseFactory()

    with caplog.at_level(logging.INFO, logger=REQUESTS):
        response = user_client.get(exercise_url(exercise.slug), HTTP_X_REQUEST_ID="line-1")

    [line] = _request_lines(caplog)
    assert line.levelno == logging.INFO
    assert line.request_id == response["X-Request-ID"] == "line-1"
    assert (line.method, line.route, line.status) == ("GET", "/api/v1/exercises/{slug}/", 200)
    assert line.user_id == user.pk
    assert isinstance(line.duration_ms, float)
    assert line.duration_ms >= 0
    assert line.getMessage().startswith(f"GET /api/v1/exercises/{exercise.slug}/ 200 ")


def test_the_json_line_holds_every_field_an_operator_filters_on(api_client, caplog):
    with caplog.at_level(logging.INFO, logger=REQUESTS):
        api_client.post(EXERCISES_URL, {}, format="json", HTTP_X_REQUEST_ID="json-1")

    [line] = _request_lines(caplog)
    fields = json.loads(_json_formatter().format(line))
    assert {
        key: fields[key]
        for key in ("level", "logger", "request_id", "method", "route", "status", "user_id")
    } == {
        "level": "INFO",
        "logger": REQUESTS,
        "request_id": "json-1",
        "method": "POST",
        "route": "/api/v1/exercises/",
        "status": 401,
        "user_id": None,
    }
    assert isinstance(fields["duration_ms"], float)
    assert datetime.fromisoformat(fields["time"]).utcoffset().total_seconds() == 0


def test_probe_lines_are_debug_and_api_lines_info(api_client, settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    with caplog.at_level(logging.DEBUG, logger=REQUESTS):
        for path in ("/healthz", "/readyz", EXERCISES_URL):
            api_client.get(path)

    levels = {line.route: line.levelname for line in _request_lines(caplog)}
    assert levels == {"/healthz": "DEBUG", "/readyz": "DEBUG", EXERCISES_URL: "INFO"}


def test_a_session_user_nothing_looked_at_is_not_loaded_for_the_line(
    user, django_assert_num_queries, caplog, client
):
    client.force_login(user)

    with caplog.at_level(logging.INFO, logger=REQUESTS), django_assert_num_queries(0):
        client.get("/no-such-page/")

    [line] = _request_lines(caplog)
    assert (line.status, line.route, line.user_id) == (404, None, None)


def test_a_session_user_the_page_loaded_is_on_the_line(trainer_browser, trainer, caplog):
    with caplog.at_level(logging.INFO, logger=REQUESTS):
        trainer_browser.get("/admin/")

    [line] = _request_lines(caplog)
    assert (line.status, line.route, line.user_id) == (200, "/admin/", trainer.pk)


def test_json_logs_put_the_request_id_on_every_line_of_the_request():
    result = run_python(ONE_REQUEST, DJANGO_LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert {line["logger"] for line in lines} == {REQUESTS, "django.request"}
    assert {line["request_id"] for line in lines} == {"trace-e2e"}
    [request_line] = [line for line in lines if line["logger"] == REQUESTS]
    assert request_line["route"] == "/api/"
    assert (request_line["method"], request_line["status"]) == ("GET", 404)
    assert request_line["user_id"] is None


def test_development_logs_readable_text_with_the_request_id():
    result = run_python(ONE_REQUEST)

    assert result.returncode == 0, result.stderr
    assert "[trace-e2e] hipflex_api.requests: GET /api/v1/no-such-endpoint/ 404 " in result.stderr
    assert "[trace-e2e] django.request: Not Found: /api/v1/no-such-endpoint/" in result.stderr


@pytest.mark.parametrize(
    ("profile", "log_format"),
    [({}, "text"), ({"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "s" * 50}, "json")],
)
def test_the_log_format_defaults_to_text_in_development_and_json_in_production(profile, log_format):
    code = "from django.conf import settings; print(settings.LOG_FORMAT)"
    env = {"DJANGO_ALLOWED_HOSTS": "api.example.com", **profile}

    result = run_python(code, **env)

    assert result.stdout.strip() == log_format, result.stderr


def test_an_unknown_log_format_is_refused():
    result = run_python(
        "from django.conf import settings; settings.LOG_FORMAT", DJANGO_LOG_FORMAT="xml"
    )

    assert result.returncode != 0
    assert "DJANGO_LOG_FORMAT must be 'json' or 'text', not 'xml'" in result.stderr


def test_runserver_drops_its_own_request_line_and_keeps_its_other_messages():
    def record(msg, *args):
        return logging.LogRecord("django.server", logging.INFO, __file__, 1, msg, args, None)

    keep = RunserverRequestLineFilter().filter

    assert not keep(record('"%s" %s %s', "GET /healthz HTTP/1.1", "200", "15"))
    assert keep(record("- Broken pipe from %s", ("127.0.0.1", 5000)))
