"""Many phones against the real server, over real HTTP on loopback: gunicorn workers on
PostgreSQL as production runs it, and runserver on a SQLite file as `make run` serves it.

Each client uploads sessions, retries some uploads (same id, or same Idempotency-Key),
edits with If-Match (some of them stale on purpose) and deletes a few, for a bounded time;
told the database is busy (SQLite's 503), it waits Retry-After and sends again, as the apps
do. Afterwards the database must hold exactly what the server acknowledged, and every
client's sync must reproduce its own data exactly.
"""

import contextlib
import os
import random
import sqlite3
import threading
import time
import uuid
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection

from hipflex_api.accounts.models import User
from sessions.models import SetLog, WorkoutSession
from tests import servers
from tests.factories import ExerciseFactory, UserFactory
from tests.phones import PASSWORD, Phone

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8
SECONDS = 8
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
