"""Many phones against the real server: gunicorn workers on PostgreSQL, real HTTP on loopback.

Each client uploads sessions, retries some uploads (same id, or same Idempotency-Key),
edits with If-Match (some of them stale on purpose) and deletes a few, for a bounded time.
Afterwards the database must hold exactly what the server acknowledged, and every client's
sync must reproduce its own data exactly.
"""

import json
import os
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from sessions.models import SetLog, WorkoutSession
from tests import servers
from tests.conftest import SESSIONS_URL, SYNC_URL, TOKEN_URL, session_url
from tests.factories import ExerciseFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8
SECONDS = 8
PASSWORD = "load-test-password-42"


@pytest.fixture
def server(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("Several server processes writing at once need PostgreSQL.")
    web = servers.gunicorn(
        servers.production_env(THROTTLE_LOGIN_IP="1000/min"), tmp_path, workers=3
    )
    yield web.base
    web.stop()


class Phone:
    """One client: what it sent, what the server acknowledged, and every status it saw."""

    def __init__(self, base: str, email: str, exercise: str) -> None:
        self.base, self.exercise = base, exercise
        self.statuses: Counter[int] = Counter()
        self.live: dict[str, dict[str, Any]] = {}  # id -> (notes, sets) acknowledged
        self.deleted: set[str] = set()
        self.etags: dict[str, str] = {}
        token = self.call("POST", TOKEN_URL, {"email": email, "password": PASSWORD})
        self.token = token[1]["access"]

    def call(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> tuple[int, Any, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
                status, raw, head = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, head = error.code, error.read(), error.headers
        self.statuses[status] += 1
        return status, (json.loads(raw) if raw else None), head

    def upload(self, rng: random.Random) -> None:
        session_id = str(uuid.uuid4())
        body = {
            "id": session_id,
            "started_at": "2026-03-01T07:00:00Z",
            "notes": f"upload {session_id[:8]}",
            "sets": [
                {"exercise": self.exercise, "side": side, "reps": 10}
                for side in ("left", "right")[: rng.randint(1, 2)]
            ],
        }
        headers = {"Idempotency_Key": f"key-{session_id}"} if rng.random() < 0.5 else {}
        for _ in range(rng.randint(1, 3)):  # Retries, as after a lost answer.
            status, data, head = self.call("POST", SESSIONS_URL, body, **headers)
            assert status in {200, 201}, (status, data)
        self.live[session_id] = {"notes": body["notes"], "sets": len(body["sets"])}
        self.etags[session_id] = head["ETag"]

    def edit(self, rng: random.Random) -> None:
        session_id = rng.choice(list(self.live))
        notes = f"edited {rng.randint(0, 10**6)}"
        stale = rng.random() < 0.3
        etag = '"0"' if stale else self.etags[session_id]
        status, data, head = self.call(
            "PATCH", session_url(session_id), {"notes": notes}, If_Match=etag
        )
        if stale:
            assert status == 412, (status, data)
            return
        assert status == 200, (status, data)
        self.live[session_id]["notes"] = notes
        self.etags[session_id] = head["ETag"]

    def delete(self, rng: random.Random) -> None:
        session_id = rng.choice(list(self.live))
        for _ in range(rng.randint(1, 2)):
            status, data, _ = self.call("DELETE", session_url(session_id))
            assert status == 204, (status, data)
        del self.live[session_id]
        self.deleted.add(session_id)

    def run(self, seed: int, until: float) -> None:
        rng = random.Random(seed)  # noqa: S311 - a replayable simulation, not a secret
        while time.monotonic() < until:
            roll = rng.random()
            if not self.live or roll < 0.6:
                self.upload(rng)
            elif roll < 0.9:
                self.edit(rng)
            else:
                self.delete(rng)

    def sync(self) -> tuple[dict[str, dict[str, Any]], set[str]]:
        live: dict[str, dict[str, Any]] = {}
        deleted: set[str] = set()
        since = None
        while True:
            path = f"{SYNC_URL}?limit=50" + (f"&since={since}" if since else "")
            status, page, _ = self.call("GET", path)
            assert status == 200
            for session in page["sessions"]:
                live[session["id"]] = {"notes": session["notes"], "sets": len(session["sets"])}
            for tombstone in page["deleted_sessions"]:
                deleted.add(tombstone["id"])
                live.pop(tombstone["id"], None)
            since = page["next_cursor"]
            if not page["has_more"]:
                return live, deleted


def test_many_phones_lose_nothing_duplicate_nothing_and_sync_exactly(server, settings, capsys):
    # The server hashes as production does; the suite's fast test hasher is unknown to it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    exercise = ExerciseFactory(name="King Runner", unilateral=True)
    users = [UserFactory(password=PASSWORD) for _ in range(CLIENTS)]
    phones = [Phone(server, user.email, exercise.slug) for user in users]
    seed = int(os.environ.get("LOAD_TEST_SEED") or random.SystemRandom().randrange(10**6))
    with capsys.disabled():
        print(f"\nload test seed: {seed} (LOAD_TEST_SEED={seed} replays the same choices)")
    until = time.monotonic() + SECONDS
    errors: list[BaseException] = []

    def drive(phone: Phone, index: int) -> None:
        try:
            phone.run(seed + index, until)
        except BaseException as exc:  # Re-raised below, in the test's thread.
            errors.append(exc)

    threads = [threading.Thread(target=drive, args=(p, i)) for i, p in enumerate(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 60)
    assert not any(t.is_alive() for t in threads), "a client hung"
    if errors:
        raise errors[0]

    statuses = sum((p.statuses for p in phones), Counter())
    assert not [s for s in statuses if s >= 500], statuses
    checked = Counter()
    for user, phone in zip(users, phones, strict=True):
        stored = WorkoutSession.objects.filter(user=user)
        live = {str(s.pk): s for s in stored if s.deleted_at is None}
        assert set(live) == set(phone.live), "the database differs from what was acknowledged"
        assert {str(s.pk) for s in stored if s.deleted_at} == phone.deleted
        for session_id, expected in phone.live.items():
            assert live[session_id].notes == expected["notes"]
            assert SetLog.objects.filter(session_id=session_id).count() == expected["sets"]
        synced, tombstones = phone.sync()
        assert synced == phone.live
        assert tombstones == phone.deleted
        checked["sessions"] += len(phone.live)
        checked["tombstones"] += len(phone.deleted)
        checked["sets"] += sum(e["sets"] for e in phone.live.values())
    with capsys.disabled():
        print(
            f"checked {checked['sessions']} sessions, {checked['sets']} sets and "
            f"{checked['tombstones']} tombstones for {CLIENTS} clients over {SECONDS} s; "
            f"responses: {dict(sorted(statuses.items()))}"
        )
    assert checked["sessions"] > 0
