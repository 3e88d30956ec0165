"""The bare views bench/ measures the API against (bench/baseline.py)."""

import importlib
import json
import os

import pytest
from django.test import RequestFactory

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
def reload_bench_urls(settings):
    yield lambda: importlib.reload(bench_baseline).urlpatterns
    settings.BENCHMARK = False  # Back to the test settings' routes, even after a failure.
    importlib.reload(bench_baseline)


def test_bench_views_are_routed_only_in_benchmark_mode(settings, reload_bench_urls):
    settings.BENCHMARK = True
    routed = reload_bench_urls()
    assert [str(pattern.pattern) for pattern in routed] == ["baseline/", "durable-write/"]

    settings.BENCHMARK = False
    assert reload_bench_urls() == []


@pytest.mark.parametrize("path", ["/bench/baseline/", "/bench/durable-write/"])
def test_the_api_does_not_route_them(client, path):
    assert client.post(path).status_code == 404
