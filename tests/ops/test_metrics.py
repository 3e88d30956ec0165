"""/metrics: Prometheus' counters, for whoever holds METRICS_TOKEN and nobody else."""

import uuid

import pytest
from django.db import connection
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import EXERCISES_URL, exercise_url
from tests.factories import ExerciseFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

METRICS = "/metrics"
TOKEN = "scrape-me-4f1c0a"
RESPONSES = "django_http_responses_total_by_status_view_method_total"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def _scrape(client):
    response = client.get(METRICS, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_is_404_while_no_token_is_configured(api_client, settings):
    settings.METRICS_TOKEN = ""

    body = assert_error(api_client.get(METRICS), 404, "not_found")

    assert "django_http" not in str(body)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, f"Basic {TOKEN}"],
)
def test_metrics_refuses_a_missing_or_wrong_token(api_client, token, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = api_client.get(METRICS, **headers)

    assert_error(response, 403, "permission_denied")
    assert b"django_http" not in response.content


def test_metrics_are_read_only(api_client, token):
    response = api_client.post(METRICS, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


def test_metrics_count_requests_by_view_and_status_and_database_queries(api_client, token):
    ExerciseFactory.create_batch(2)
    before = _scrape(api_client)

    assert api_client.get(EXERCISES_URL).status_code == 200
    assert api_client.get("/api/v1/no-such-endpoint/").status_code == 404
    after = _scrape(api_client)

    ok = {"status": "200", "view": "exercise-list", "method": "GET"}
    assert _value(after, RESPONSES, **ok) == _value(before, RESPONSES, **ok) + 1
    lost = {"status": "404", "view": "hipflex_api.errors.api_not_found", "method": "GET"}
    assert _value(after, RESPONSES, **lost) == _value(before, RESPONSES, **lost) + 1
    queries = {"alias": "default", "vendor": connection.vendor}
    assert _value(after, "django_db_execute_total", **queries) > _value(
        before, "django_db_execute_total", **queries
    )
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    timed = {"view": "exercise-list", "method": "GET"}
    assert _value(after, latency, **timed) == _value(before, latency, **timed) + 1


def test_a_cached_catalog_answer_counts_under_its_view_as_a_cache_hit(api_client, token):
    exercise = ExerciseFactory()
    url = exercise_url(exercise.slug)
    api_client.get(url)  # Renders the answer and caches it.
    before = _scrape(api_client)

    assert api_client.get(url).status_code == 200  # From CatalogCacheMiddleware.
    after = _scrape(api_client)

    ok = {"status": "200", "view": "exercise-detail", "method": "GET"}
    assert _value(after, RESPONSES, **ok) == _value(before, RESPONSES, **ok) + 1
    hits = "django_cache_get_hits_total"
    assert _value(after, hits, backend="locmem") > _value(before, hits, backend="locmem")


def test_the_cache_counts_a_cached_falsy_value_as_a_hit_and_returns_it(api_client, token):
    from django.core.cache import cache

    cache.set("ops:zero", 0)
    before = _scrape(api_client)

    assert cache.get("ops:zero", "default") == 0
    assert cache.get("ops:absent", "default") == "default"
    after = _scrape(api_client)

    for name in ("django_cache_get_hits_total", "django_cache_get_misses_total"):
        assert _value(after, name, backend="locmem") >= _value(before, name, backend="locmem") + 1


def test_the_redis_cache_counts_hits_and_misses(api_client, token, redis_url):
    redis = {
        "default": {
            "BACKEND": "hipflex_api.ops.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"ops-{uuid.uuid4().hex}",  # Another run's keys are not these.
        }
    }
    with override_settings(CACHES=redis):
        from django.core.cache import cache

        cache.set("ops:one", 1, timeout=60)
        before = _scrape(api_client)
        try:
            assert cache.get("ops:one") == 1
            assert cache.get("ops:absent") is None
        finally:
            cache.delete("ops:one")
        after = _scrape(api_client)

    for name in ("django_cache_get_hits_total", "django_cache_get_misses_total"):
        assert _value(after, name, backend="redis") == _value(before, name, backend="redis") + 1
