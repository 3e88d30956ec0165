"""More than one machine: two web instances, a worker and beat, sharing PostgreSQL and Redis.

Two gunicorn instances on two ports stand for two hosts; a client alternates between them.
Everything they must agree on lives in PostgreSQL or Redis, never in one process's memory.
The test prints what it checked, and what each process holds in memory.
"""

import json
import time
import uuid

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from hipflex_api.idempotency.models import IdempotencyRecord
from tests import servers
from tests.conftest import (
    RESET_CONFIRM_URL,
    RESET_URL,
    SESSIONS_URL,
    STRONG_PASSWORD,
    SYNC_URL,
    TOKEN_URL,
    exercise_url,
    session_body,
    token_in,
)
from tests.factories import PASSWORD, ExerciseFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CACHE_DB = servers.REDIS_DATABASES["multi-instance cache"]
BROKER_DB = servers.REDIS_DATABASES["multi-instance broker"]
CATALOG_VERSION_SECONDS = 1
HOUSEKEEPING_SECONDS = 2
LOGIN_FAILURES = 3


@pytest.fixture
def deployment(redis_server, smtp_server, tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("Several processes sharing one database need PostgreSQL.")
    # Passwords the servers can check: theirs are the production hashers, not the suite's.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    cache_url, broker_url = (f"{redis_server}/{db}" for db in (CACHE_DB, BROKER_DB))
    run = uuid.uuid4().hex  # Keys and a queue of this run's own, on Redis databases of its own.
    env = servers.production_env(
        REDIS_URL=cache_url,
        CACHE_KEY_PREFIX=f"multi-{run}",
        CELERY_BROKER_URL=broker_url,
        CELERY_QUEUE=f"multi-{run}",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        CATALOG_VERSION_SECONDS=str(CATALOG_VERSION_SECONDS),
        HOUSEKEEPING_SECONDS=str(HOUSEKEEPING_SECONDS),
        THROTTLE_LOGIN_ACCOUNT=f"{LOGIN_FAILURES}/hour",
    )
    smtp_server.clear()
    started = []
    try:
        for name in ("web-a", "web-b"):
            started.append(servers.gunicorn(env, tmp_path, name=name))
        worker = servers.celery("worker", env, tmp_path, "--pool=solo", "-n", "multi@%h")
        started.append(worker)
        worker.wait_for_output(" ready.")
        beat = servers.celery("beat", env, tmp_path, "-s", str(tmp_path / "beat-schedule"))
        started.append(beat)
        yield dict(zip(("a", "b", "worker", "beat"), started, strict=True))
    finally:
        for process in started:
            process.stop()


class Phone:
    """One person's app, whose requests alternate between the two instances."""

    def __init__(self, deployment, email, password=PASSWORD):
        self.hosts = {
            name: httpx.Client(base_url=deployment[name].base, timeout=20) for name in "ab"
        }
        self.email, self.password = email, password
        self.calls = 0
        self.token = None

    def call(self, method, path, on=None, **kwargs):
        """The request, to `on` ("a" or "b") or else to the instance it did not use last."""
        on = on or "ab"[self.calls % 2]
        self.calls += 1
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.hosts[on].request(method, path, headers=headers, **kwargs)

    def log_in(self, on=None):
        self.token = None
        body = {"email": self.email, "password": self.password}
        response = self.call("POST", TOKEN_URL, on, json=body)
        assert response.status_code == 200, response.text
        self.token = response.json()["access"]


def login_throttle_holds_on_both(deployment):
    phone = Phone(deployment, UserFactory().email)
    for n in range(LOGIN_FAILURES):
        body = {"email": phone.email, "password": f"wrong-{n}"}
        assert phone.call("POST", TOKEN_URL, json=body).status_code == 401
    # The right password, on the other instance, after the failures on both.
    body = {"email": phone.email, "password": PASSWORD}
    response = phone.call("POST", TOKEN_URL, json=body)
    assert response.status_code == 429, response.text
    return f"login throttle: {LOGIN_FAILURES} failures on a and b, then 429 on the other"


def catalog_edit_reaches_the_other(deployment):
    exercise = ExerciseFactory()
    reader = Phone(deployment, "")
    before = reader.call("GET", exercise_url(exercise.slug), "b")
    trainer = Phone(deployment, UserFactory(is_staff=True, is_superuser=True).email)
    trainer.log_in("a")
    body = {"summary": "Edited on a."}
    assert trainer.call("PATCH", exercise_url(exercise.slug), "a", json=body).status_code == 200
    edited = time.monotonic()
    while (after := reader.call("GET", exercise_url(exercise.slug), "b")).json()["summary"] != (
        "Edited on a."
    ):
        assert time.monotonic() - edited < CATALOG_VERSION_SECONDS + 5, "b kept the old text"
        time.sleep(0.05)
    assert after.headers["ETag"] != before.headers["ETag"]
    waited = time.monotonic() - edited
    limit = f"CATALOG_VERSION_SECONDS={CATALOG_VERSION_SECONDS}"
    return f"catalog: an edit on a was served by b {waited:.2f} s later ({limit})"


def idempotency_key_replays_on_the_other(deployment, phone):
    body = session_body(ExerciseFactory())
    key = {"Idempotency-Key": f"multi-{uuid.uuid4()}"}
    first = phone.call("POST", SESSIONS_URL, "a", json=body, headers=dict(key))
    retry = phone.call("POST", SESSIONS_URL, "b", json=body, headers=dict(key))
    assert (first.status_code, retry.status_code) == (201, 201), (first.text, retry.text)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    return "Idempotency-Key: an upload on a, retried on b, replayed the same session"


def sync_is_the_same_from_either(deployment, phone):
    from_a, from_b = (phone.call("GET", SYNC_URL, on).json() for on in "ab")
    assert from_a == from_b
    assert from_a["sessions"], from_a
    return f"sync: a and b hand the same {len(from_a['sessions'])} session(s) and cursor"


def reset_on_one_is_mailed_by_the_worker_and_confirmed_on_the_other(deployment, smtp_server):
    phone = Phone(deployment, UserFactory().email)
    assert phone.call("POST", RESET_URL, "a", json={"email": phone.email}).status_code == 202
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == phone.email
    body = {"token": token_in(message), "new_password": STRONG_PASSWORD}
    assert phone.call("POST", RESET_CONFIRM_URL, "b", json=body).status_code == 200
    phone.password = STRONG_PASSWORD
    phone.log_in("a")
    assert "hipflex_api.mail.deliver" in deployment["worker"].output()
    return (
        "password reset: asked on a, mailed by the worker through SMTP, confirmed on b; "
        "the new password logs in on a"
    )


def beat_purges_once(deployment, user):
    record = IdempotencyRecord.objects.create(
        user=user, key="stale", request_hash="h", status_code=201, response_body={}
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL * 2
    )
    deadline = time.monotonic() + 10 * HOUSEKEEPING_SECONDS
    while IdempotencyRecord.objects.filter(pk=record.pk).exists():
        assert time.monotonic() < deadline, deployment["beat"].output()
        time.sleep(0.2)
    sent = deployment["beat"].output().count("Sending due task purge-idempotency-records")
    ran = _task_ids(deployment["worker"].output(), "hipflex_api.idempotency.purge")
    # Once per interval since beat started, and each one run once (the last may be in flight).
    elapsed = time.monotonic() - deployment["beat"].started
    assert 1 <= sent <= elapsed / HOUSEKEEPING_SECONDS + 1
    assert sent - 1 <= len(ran) == len(set(ran)) <= sent
    return (
        f"beat: sent the idempotency purge {sent} time(s), the worker ran {len(ran)}, "
        "each task id once; the stale record is gone"
    )


def _task_ids(log, task):
    """The ids of the runs of `task` that the worker's JSON log lines report as successes."""
    lines = (json.loads(line) for line in log.splitlines() if line.startswith("{"))
    return [
        line["task_id"]
        for line in lines
        if line.get("task") == task and line.get("outcome") == "success"
    ]


def test_two_instances_a_worker_and_beat_agree(deployment, smtp_server, capsys):
    user = UserFactory()
    phone = Phone(deployment, user.email)
    phone.log_in()
    checked = [
        login_throttle_holds_on_both(deployment),
        catalog_edit_reaches_the_other(deployment),
        idempotency_key_replays_on_the_other(deployment, phone),
        sync_is_the_same_from_either(deployment, phone),
        reset_on_one_is_mailed_by_the_worker_and_confirmed_on_the_other(deployment, smtp_server),
        beat_purges_once(deployment, user),
    ]
    memory = ", ".join(
        f"{name} {process.rss_mib():.1f} MiB" for name, process in deployment.items()
    )
    with capsys.disabled():
        print("\nmulti-instance (2 gunicorn, 1 worker, 1 beat; PostgreSQL and Redis):")
        for line in [*checked, f"memory (RSS): {memory}"]:
            print(f"  - {line}")
