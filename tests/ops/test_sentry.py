"""Sentry starts only when SENTRY_DSN is set; checked in fresh interpreters, since it starts
with the settings. Nothing is sent: Sentry sends only once an event happens."""

import json

from tests.ops.conftest import run_python

REPORT = """
import json
import django
django.setup()
import sentry_sdk
client = sentry_sdk.get_client()
print(json.dumps({
    "active": client.is_active(),
    "options": {key: client.options.get(key) for key in (
        "dsn", "environment", "send_default_pii", "traces_sample_rate"
    )} if client.is_active() else None,
    "integrations": sorted(getattr(client, "integrations", {})),
}))
"""
DSN = "http://public@127.0.0.1:9/1"


def test_sentry_starts_with_django_and_celery_when_a_dsn_is_set():
    result = run_python(
        REPORT,
        SENTRY_DSN=DSN,
        SENTRY_TRACES_SAMPLE_RATE="0.25",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="s" * 50,
        DJANGO_ALLOWED_HOSTS="api.example.com",
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["active"] is True
    assert report["options"] == {
        "dsn": DSN,
        "environment": "production",
        "send_default_pii": False,
        "traces_sample_rate": 0.25,
    }
    assert {"django", "celery"} <= set(report["integrations"])


def test_sentry_traces_nothing_by_default():
    result = run_python(REPORT, SENTRY_DSN=DSN)

    report = json.loads(result.stdout)
    assert report["options"]["traces_sample_rate"] == 0
    assert report["options"]["environment"] == "development"


def test_without_a_dsn_sentry_is_not_started():
    result = run_python(REPORT)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["active"] is False
