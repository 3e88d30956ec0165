"""The bare views bench/ measures the API against (bench/baseline.py)."""

import importlib
import json
import os

import pytest
from django.test import RequestFactory
from django.urls import clear_url_caches

from bench import baseline as bench_baseline
from hipflex_api.changes.models import ChangeCounter


@pytest.mark.django_db
def test_durable_write_commits_one_write_and_answers_the_baseline_body():
    request = RequestFactory().post("/bench/durable-write/", "{}", content_type="application/json")

    first = bench_baseline.durable_write(request)
    bench_baseline.durable_write(request)

    assert first.status_code == 200
    assert first.content == bench_baseline.baseline(RequestFactory().get("/")).content
    assert len(json.loads(first.content)["results"]) == 20
    assert ChangeCounter.objects.get(scope=f"bench:{os.getpid()}").value == 2


def test_durable_write_takes_posts_only():
    assert bench_baseline.durable_write(RequestFactory().get("/")).status_code == 405


@pytest.fixture
def reload_root_urls(settings):
    import hipflex_api.urls

    def reload():
        clear_url_caches()
        return [str(p.pattern) for p in importlib.reload(hipflex_api.urls).urlpatterns]

    yield reload
    settings.BENCHMARK = False  # Back to the test settings' routes, even after a failure.
    reload()


def test_bench_views_are_routed_only_in_benchmark_mode(settings, reload_root_urls):
    settings.BENCHMARK = True
    assert "bench/" in reload_root_urls()
    assert [str(p.pattern) for p in bench_baseline.urlpatterns] == ["baseline/", "durable-write/"]

    settings.BENCHMARK = False
    assert "bench/" not in reload_root_urls()


@pytest.mark.parametrize("path", ["/bench/baseline/", "/bench/durable-write/"])
def test_the_api_does_not_route_them(client, path):
    assert client.post(path).status_code == 404
