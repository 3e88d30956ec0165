"""/healthz and /readyz: what a load balancer or orchestrator asks before sending traffic."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

HEALTHZ, READYZ = "/healthz", "/readyz"


def _cache_at(port, alias="default"):
    """The caches, with `alias` (the answers' or the counters') on a Redis at `port`, in the
    backend production gives it: the answers' one hides a failure from everything but this
    check."""
    caches = {name: {"BACKEND": "hipflex_api.ops.cache.LocMemCache"} for name in _ALIASES}
    return {
        **caches,
        alias: {
            "BACKEND": _REDIS_BACKENDS[alias],
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        },
    }


_ALIASES = ("default", settings.COUNTERS_CACHE)
_REDIS_BACKENDS = {
    "default": "hipflex_api.ops.cache.AnswerCache",
    settings.COUNTERS_CACHE: "hipflex_api.ops.cache.RedisCache",
}


@pytest.fixture
def no_broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def database_down(monkeypatch, closed_port):
    """The default database, as a connection opened from now on sees it: gone."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        monkeypatch.setitem(database, "NAME", "/nonexistent-directory/hipflex.sqlite3")
    else:
        monkeypatch.setitem(database, "HOST", "127.0.0.1")
        monkeypatch.setitem(database, "PORT", str(closed_port))


def test_healthz_answers_without_touching_the_database(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get(HEALTHZ)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_while_the_database_is_down(api_client, database_down):
    assert api_client.get(HEALTHZ).status_code == 200


def test_readyz_is_ready_when_database_and_cache_answer(api_client, no_broker):
    response = api_client.get(READYZ)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "cache": "ok",
            "counters": "ok",
            "broker": "not_configured",
        },
    }


def test_readyz_checks_the_broker_when_one_is_configured(api_client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_TASK_ALWAYS_EAGER = False

    response = api_client.get(READYZ)

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


def test_readyz_is_503_naming_a_database_that_is_down(api_client, no_broker, database_down):
    body = assert_error(api_client.get(READYZ), 503, "not_ready")

    assert body["detail"] == "Not ready: database."
    assert body["errors"] == [
        {
            "field": "database",
            "code": "unreachable",
            "message": "The database could not be reached.",
        }
    ]


def _degraded(response, **failed):
    """/readyz's 200 while the database answers and the parts in `failed` do not."""
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert {name: code for name, code in body["checks"].items() if code != "ok"} == failed
    return body


def test_readyz_is_degraded_not_503_while_the_cache_is_down(api_client, no_broker, closed_port):
    # Every instance shares the cache: a 503 would take them all out, and reads go on.
    with override_settings(CACHES=_cache_at(closed_port)):
        _degraded(api_client.get(READYZ), cache="unreachable", broker="not_configured")


def test_readyz_is_degraded_while_a_counters_store_of_its_own_is_down(
    api_client, no_broker, closed_port, redis_url
):
    # The answers' cache up on the suite's Redis; the counters' own Redis down.
    caches = _cache_at(closed_port, alias=settings.COUNTERS_CACHE)
    caches["default"] = {"BACKEND": _REDIS_BACKENDS["default"], "LOCATION": redis_url}
    with override_settings(CACHES=caches):
        _degraded(api_client.get(READYZ), counters="unreachable", broker="not_configured")


def test_readyz_is_degraded_while_the_broker_is_down(api_client, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False

    _degraded(api_client.get(READYZ), broker="unreachable")


def test_readyz_is_503_naming_every_part_down_with_the_database(
    api_client, settings, closed_port, database_down
):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False

    with override_settings(CACHES=_cache_at(closed_port)):
        body = assert_error(api_client.get(READYZ), 503, "not_ready")

    assert body["detail"] == "Not ready: database, cache, broker."
    assert [e["field"] for e in body["errors"]] == ["database", "cache", "broker"]


def test_readyz_reports_a_cache_that_hangs_as_timed_out(
    api_client, settings, no_broker, silent_port
):
    settings.READINESS_TIMEOUT_SECONDS = 0.5

    with override_settings(CACHES=_cache_at(silent_port)):
        _degraded(api_client.get(READYZ), cache="timeout", broker="not_configured")


def test_readyz_does_not_reveal_where_a_dependency_lives(
    api_client, settings, closed_port, database_down
):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False

    response = api_client.get(READYZ)

    assert response.status_code == 503
    assert str(closed_port) not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


class _OnePerMinute(SimpleRateThrottle):
    rate = "1/min"

    def get_cache_key(self, request, view):
        return "probe-test"


@pytest.mark.settings_beyond_the_schema
@pytest.mark.parametrize("path", [HEALTHZ, READYZ])
def test_probes_ignore_credentials_and_are_never_throttled(
    api_client, no_broker, path, monkeypatch
):
    # A throttle on every view that does not set its own, as a deployment might configure:
    # the probes set theirs (none), so they must still answer every time.
    monkeypatch.setattr(APIView, "throttle_classes", [_OnePerMinute])
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    statuses = {api_client.get(path).status_code for _ in range(30)}

    assert statuses == {200}
    api_client.credentials()
    api_client.get("/api/v1/")
    assert_error(api_client.get("/api/v1/"), 429, "throttled")  # The throttle bites elsewhere.
