"""The production profile, checked in fresh interpreters so that settings load from scratch."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "x" * 60 + "-not-a-real-secret-but-long-and-varied-0123456789",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    # A broker, a shared cache, a store of its own for throttle counts and a mail server:
    # without them check --deploy warns.
    "REDIS_URL": "redis://redis.example.com:6379/0",
    "COUNTERS_REDIS_URL": "redis://counters.example.com:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_READ_DOT_ENV": "false", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_ENV=production" in result.stderr


def test_check_deploy_is_clean_with_production_values():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_of_jobs_in_requests_mail_in_the_log_and_a_private_cache():
    env = {k: v for k, v in PRODUCTION.items() if k not in {"REDIS_URL", "EMAIL_URL"}}

    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    for check in ("hipflex.W001", "hipflex.W002", "hipflex.W003"):
        assert check in result.stderr, result.stderr


def test_check_deploy_warns_when_throttle_counts_share_the_answers_redis():
    env = {k: v for k, v in PRODUCTION.items() if k != "COUNTERS_REDIS_URL"}

    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    assert "hipflex.W004" in result.stderr, result.stderr
    assert "noeviction" in result.stderr


def test_redis_caches_give_up_quickly_and_answers_do_without_theirs():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print({a: (c['BACKEND'], c['OPTIONS']) for a, c in settings.CACHES.items()})",
        **PRODUCTION,
    )

    assert result.returncode == 0, result.stderr
    timeouts = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
    assert ast.literal_eval(result.stdout.splitlines()[-1]) == {
        "default": ("hipflex_api.ops.cache.AnswerCache", timeouts),
        "counters": ("hipflex_api.ops.cache.RedisCache", timeouts),
    }


def _printed(expression: str, **env: str) -> object:
    result = _manage("shell", "-c", f"from django.conf import settings; print({expression})", **env)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.splitlines()[-1])


def test_the_broker_gives_up_quickly_and_hands_an_unacknowledged_job_on_in_minutes():
    broker = _printed("settings.CELERY_BROKER_TRANSPORT_OPTIONS", **PRODUCTION)

    assert broker == {
        "visibility_timeout": 600,
        "socket_timeout": 1.0,
        "socket_connect_timeout": 1.0,
    }


def test_only_the_web_servers_statements_have_a_timeout_beside_the_urls_own_options():
    url = "postgres://app@db.example.com:5432/app?options=-c%20search_path%3Dapp"
    env = {**PRODUCTION, "DATABASE_URL": url, "HIPFLEX_SERVES_REQUESTS": "true"}

    options = _printed("repr(settings.DATABASES['default']['OPTIONS']['options'])", **env)

    # The URL's own options come last, so that they win over the default.
    assert options == "-c statement_timeout=20000 -c search_path=app"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("https://app.example/reset", "must contain {token}"),
        ("https://app.example/reset/{token}/{user}", "nothing else in braces"),
        ("https://app.example/reset/{token", "nothing else in braces"),
    ],
)
def test_a_link_template_that_cannot_make_a_link_stops_the_start(template, message):
    result = _manage("check", PASSWORD_RESET_URL=template)

    assert result.returncode != 0
    assert message in result.stderr


def test_gunicorn_entry_point_defaults_to_production():
    code = "import hipflex_api.wsgi"
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    base["DJANGO_READ_DOT_ENV"] = "false"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_unknown_profile_is_refused():
    result = _manage("check", DJANGO_ENV="staging")
    assert result.returncode != 0
    assert "DJANGO_ENV must be 'development' or 'production'" in result.stderr


@pytest.mark.parametrize(("switch", "reads"), [("true", True), ("false", False)])
def test_dot_env_is_read_unless_switched_off(monkeypatch, switch, reads):
    # The suite runs with it off (tests/settings.py), so a developer's .env changes nothing.
    import importlib

    import environ

    import hipflex_api.settings

    read = []
    monkeypatch.setattr(environ.Env, "read_env", lambda *args, **kwargs: read.append(args))
    monkeypatch.setenv("DJANGO_READ_DOT_ENV", switch)
    try:
        importlib.reload(hipflex_api.settings)
    finally:
        monkeypatch.undo()
        importlib.reload(hipflex_api.settings)
    assert bool(read) is reads
    assert os.environ["DJANGO_READ_DOT_ENV"] == "false"
