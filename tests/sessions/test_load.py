"""Many phones against the real server, over real HTTP on loopback: gunicorn workers on
PostgreSQL as production runs it, and runserver on a SQLite file as `make run` serves it.

Each client uploads sessions, retries some uploads (same id, or same Idempotency-Key),
edits with If-Match (some of them stale on purpose) and deletes a few, for a bounded time;
told the database is busy (SQLite's 503), it waits Retry-After and sends again, as the apps
do. Afterwards the database must hold exactly what the server acknowledged, and every
client's sync must reproduce its own data exactly.
"""

import contextlib
import json
import os
import random
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection

from hipflex_api.accounts.models import User
from sessions.models import SetLog, WorkoutSession
from tests import servers
from tests.conftest import SESSIONS_URL, SYNC_URL, TOKEN_URL, session_url
from tests.factories import ExerciseFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8
SECONDS = 8
PASSWORD = "load-test-password-42"
# Every phone writes as fast as it can, far past a person's day of sessions.
UNLIMITED = {"MAX_SESSIONS_PER_DAY": "1000000"}


def _stored_by_orm(email: str) -> dict[str, tuple[str, bool, int]]:
    """Each session of the account, by id: its notes, whether deleted, how many sets."""
    stored = WorkoutSession.objects.filter(user__email=email)
    return {
        str(s.pk): (s.notes, s.deleted_at is not None, SetLog.objects.filter(session=s).count())
        for s in stored
    }


def _stored_in_file(database: Any) -> Any:
    def stored(email: str) -> dict[str, tuple[str, bool, int]]:
        # Table names, not input.
        sessions, sets = WorkoutSession._meta.db_table, SetLog._meta.db_table
        users = User._meta.db_table
        query = (
            f"SELECT s.id, s.notes, s.deleted_at IS NOT NULL, count(l.id) FROM {sessions} s"  # noqa: S608
            f" JOIN {users} u ON u.id = s.user_id"
            f" LEFT JOIN {sets} l ON l.session_id = s.id WHERE u.email = ? GROUP BY s.id"
        )
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            # Django keeps a UUID on SQLite as its 32 hex digits.
            rows = db.execute(query, [email])
            return {str(uuid.UUID(r[0])): (r[1], bool(r[2]), r[3]) for r in rows}

    return stored


@pytest.fixture(params=["gunicorn-postgresql", "runserver-sqlite"])
def fleet(request, tmp_path, settings):
    """A server, the exercise its phones log, and how to read what an account has stored."""
    if request.param == "gunicorn-postgresql":
        if connection.vendor != "postgresql":
            pytest.skip("Several server processes writing at once need PostgreSQL.")
        # The server hashes as production does; the suite's fast test hasher is unknown to it.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
        env = servers.production_env(THROTTLE_LOGIN_IP="1000/min", **UNLIMITED)
        web = servers.gunicorn(env, tmp_path, workers=3)
        exercise = ExerciseFactory(name="King Runner", unilateral=True).slug
        for n in range(CLIENTS):
            UserFactory(email=f"phone{n}@example.com", password=PASSWORD)
        stored = _stored_by_orm
    else:
        # A database file of its own, so this runs whichever database the suite uses.
        database = servers.migrated_sqlite(tmp_path)
        env = servers.make_run_env(database, THROTTLE_LOGIN_IP="1000/min", **UNLIMITED)
        servers.manage(env, "shell", "--verbosity", "0", "-c", _SETUP)
        web = servers.runserver(env, tmp_path)
        exercise, stored = "king-runner", _stored_in_file(database)
    yield SimpleNamespace(base=web.base, exercise=exercise, stored=stored)
    web.stop()


# The seed catalog and the phones' accounts, in the file `make run` serves.
_SETUP = f"""
from django.core.management import call_command
from hipflex_api.accounts.models import User

call_command("seed_catalog")
for n in range({CLIENTS}):
    User.objects.create_user(f"phone{{n}}@example.com", password="{PASSWORD}")
"""


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
        data = json.loads(raw) if raw else None
        if status == 503 and data["code"] == "database_busy":
            # Nothing was saved: wait as told, and send it again.
            time.sleep(int(head["Retry-After"]))
            return self.call(method, path, body, **headers)
        return status, data, head

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


def test_many_phones_lose_nothing_duplicate_nothing_and_sync_exactly(fleet, capsys):
    emails = [f"phone{n}@example.com" for n in range(CLIENTS)]
    phones = [Phone(fleet.base, email, fleet.exercise) for email in emails]
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
    assert not [s for s in statuses if s >= 500 and s != 503], statuses
    checked = Counter()
    for email, phone in zip(emails, phones, strict=True):
        stored = fleet.stored(email)
        live = {key: row for key, row in stored.items() if not row[1]}
        assert set(live) == set(phone.live), "the database differs from what was acknowledged"
        assert {key for key, row in stored.items() if row[1]} == phone.deleted
        for session_id, expected in phone.live.items():
            assert live[session_id][0] == expected["notes"]
            assert live[session_id][2] == expected["sets"]
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
