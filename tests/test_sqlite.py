"""SQLite, `make run`'s database, under concurrent writes, and the options that make its
writers queue (hipflex_api/settings.py) instead of failing.

The main test runs runserver as `make run` does, on a SQLite file migrated and seeded first,
with ten phones writing at once and ten refreshes of one token at once. SQLite lets one writer
in at a time, so the others must wait their turn or be told to retry (a JSON 503 with
Retry-After), never answered 500, and every write answered 2xx is stored exactly once. The
server has a database file of its own, so this runs whichever database the suite uses. It
prints what it measured.
"""

import contextlib
import json
import logging
import sqlite3
import statistics
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import pytest
from django.db import connection

from sessions.models import SetLog, WorkoutSession
from tests import servers
from tests.conftest import REFRESH_URL, SESSIONS_URL, session_body, session_url
from tests.helpers import ERROR_KEYS

WRITERS = 10
# Each writer writes for this long or this many times, whichever ends first.
SECONDS = 5
WRITES = 60
# No single request may take longer than this (the busy timeout is well below it).
REQUEST_TIMEOUT = 30
EDITED = "Edited on the phone."

# Run by `manage.py shell` on the server's database: the seed catalog, and a user with a token
# pair for each writer and one more for the refreshes; prints them as JSON on its last line.
_SETUP = """
import json
from django.core.management import call_command
from rest_framework_simplejwt.tokens import RefreshToken
from exercises.models import Exercise
from hipflex_api.accounts.models import User

call_command("seed_catalog")
pairs = [
    RefreshToken.for_user(User.objects.create_user(f"phone{n}@example.com"))
    for n in range(USERS)
]
print(json.dumps({
    "exercise": Exercise.objects.filter(published=True).values_list("slug", flat=True)[0],
    "access": [str(pair.access_token) for pair in pairs],
    "refresh": [str(pair) for pair in pairs],
}))
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A SQLite file migrated once, for each test to copy."""
    return servers.migrated_sqlite(tmp_path_factory.mktemp("migrated"))


@pytest.fixture
def make_run(request, migrated, tmp_path):
    """runserver as `make run` starts it on a migrated, seeded file, with the settings the
    test passes as its parameter."""
    database = tmp_path / "db.sqlite3"
    servers.copy_sqlite(migrated, database)
    env = servers.make_run_env(database, **request.param)
    setup = _SETUP.replace("USERS", str(WRITERS + 1))
    printed = servers.manage(env, "shell", "--verbosity", "0", "-c", setup)
    made = json.loads(printed.splitlines()[-1])
    server = servers.runserver(env, tmp_path)
    try:
        yield SimpleNamespace(base=server.base, database=database, settings=request.param, **made)
    finally:
        server.stop()


def _upload_until(base, access, exercise, gate, seconds):
    """One phone writing back to back: a new session (with an Idempotency-Key, as a phone on a
    bad connection sends it), then an edit of its notes (with If-Match). What each write was,
    for which session, its answer and how long it took."""
    answers = []
    headers = {"Authorization": f"Bearer {access}"}
    with httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT) as client:
        gate.wait(timeout=REQUEST_TIMEOUT)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(answers) < WRITES:
            session_id = str(uuid.uuid4())
            body = session_body(SimpleNamespace(slug=exercise), id=session_id)
            key = {"Idempotency-Key": session_id}
            answers.append(_timed("upload", session_id, client.post, SESSIONS_URL, body, key))
            if (upload := answers[-1][2]).status_code == 201:
                match = {"If-Match": upload.headers["ETag"]}
                edit = {"notes": EDITED}
                url = session_url(session_id)
                answers.append(_timed("edit", session_id, client.patch, url, edit, match))
    return answers


def _timed(kind, session_id, send, url, body, headers):
    started = time.monotonic()
    response = send(url, json=body, headers=headers)
    return kind, session_id, response, time.monotonic() - started


def _together(call):
    """`call(n, gate)` for each n of WRITERS threads, which the barrier `gate` releases at one
    moment; what each returned, in order."""
    gate = threading.Barrier(WRITERS)
    with ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(lambda n: call(n, gate), range(WRITERS)))


def _refresh(base, refresh, gate):
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as client:
        gate.wait(timeout=REQUEST_TIMEOUT)
        return client.post(REFRESH_URL, json={"refresh": refresh})


def _is_busy(response):
    """A 503 in the one error shape that says when to retry."""
    if response.status_code != 503 or response.headers["Content-Type"] != "application/json":
        return False
    body = response.json()
    retry_after = int(response.headers["Retry-After"])
    return set(body) == ERROR_KEYS and body["code"] == "database_busy" and retry_after >= 1


def _stored(database):
    """Each stored session's (notes, version, how many sets), by its id as the API gives it."""
    sessions, sets = WorkoutSession._meta.db_table, SetLog._meta.db_table  # Names, not input.
    query = (
        f"SELECT s.id, s.notes, s.version, count(l.id) FROM {sessions} s"  # noqa: S608
        f" LEFT JOIN {sets} l ON l.session_id = s.id GROUP BY s.id"
    )
    uri = f"file:{database}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=REQUEST_TIMEOUT)) as db:
        # Django keeps a UUID on SQLite as its 32 hex digits.
        return {str(uuid.UUID(row[0])): row[1:] for row in db.execute(query)}


def _journal_mode(database):
    with contextlib.closing(sqlite3.connect(database, timeout=REQUEST_TIMEOUT)) as db:
        return db.execute("PRAGMA journal_mode").fetchone()[0]


def _expected(answers):
    """What the answers say is stored: each session answered 201, with its two sets, edited
    if its edit was answered 200; nothing of an upload answered 503."""
    stored = {}
    for kind, session_id, response, _ in answers:
        if kind == "upload" and response.status_code == 201:
            stored[session_id] = ("Morning hips.", 1, 2)
        elif kind == "edit" and response.status_code == 200:
            stored[session_id] = (EDITED, 2, 2)
    return stored


def _report(settings, answers, refreshes):
    statuses = Counter(response.status_code for _, _, response, _ in answers)
    by_kind = {
        kind: dict(Counter(r.status_code for k, _, r, _ in answers if k == kind))
        for kind in ("upload", "edit")
    }
    latencies = [seconds for *_, seconds in answers]
    print(
        f"\n{WRITERS} writers on runserver + SQLite ({settings or 'default settings'}), "
        f"{SECONDS} s at most: {len(answers)} writes, "
        f"{sum(n for status, n in statuses.items() if status < 300)} 2xx, "
        f"{statuses[503]} 503, {statuses[500]} 500 (by status: {by_kind}); "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms. "
        f"{WRITERS} refreshes of one token at once: "
        f"{dict(Counter(r.status_code for r in refreshes))}."
    )


@pytest.mark.parametrize(
    "make_run",
    [
        pytest.param({}, id="default-busy-timeout"),
        # No wait at all: most writes that meet another get the 503, for real.
        pytest.param({"SQLITE_BUSY_TIMEOUT_SECONDS": "0"}, id="no-busy-timeout"),
    ],
    indirect=True,
)
def test_concurrent_writes_on_make_run_wait_or_get_a_503_never_a_500(make_run, caplog):
    caplog.set_level(logging.WARNING, logger="httpx")  # Not a line per request.
    runs = _together(
        lambda n, gate: _upload_until(
            make_run.base, make_run.access[n], make_run.exercise, gate, SECONDS
        )
    )
    answers = [answer for run in runs for answer in run]
    refreshes = _together(lambda n, gate: _refresh(make_run.base, make_run.refresh[-1], gate))
    _report(make_run.settings, answers, refreshes)

    assert all(
        response.status_code in {200, 201} or _is_busy(response) for *_, response, _ in answers
    )
    assert _stored(make_run.database) == _expected(answers)
    assert _journal_mode(make_run.database) == "wal"
    # One refresh wins the token; the others find it spent (or are told to retry).
    assert [r.status_code for r in refreshes].count(200) == 1
    others = [r for r in refreshes if r.status_code != 200]
    assert all(_is_busy(r) or r.json()["code"] == "token_not_valid" for r in others)
    if make_run.settings:
        assert any(_is_busy(response) for *_, response, _ in answers)


_PRINT_OPTIONS = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
)


def test_sqlite_and_postgresql_get_options_of_their_own(tmp_path):
    def options(url):
        env = servers.make_run_env(tmp_path / "unused.sqlite3", DATABASE_URL=url)
        return json.loads(servers.manage(env, "shell", "--verbosity", "0", "-c", _PRINT_OPTIONS))

    assert options(f"sqlite:///{tmp_path / 'db.sqlite3'}") == {
        "transaction_mode": "IMMEDIATE",
        "timeout": 5.0,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
    # No statement timeout: a command, not the web server (tests/test_settings.py).
    assert options("postgres://postgres@127.0.0.1:5432/hipflex") == {
        "connect_timeout": 5,
        "tcp_user_timeout": 10_000,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 3,
        "keepalives_count": 3,
    }


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="Journal and transaction modes are SQLite's."
)
@pytest.mark.django_db
def test_the_suites_in_memory_database_takes_the_options_without_wal():
    # WAL needs a file; an in-memory database keeps its own journal and writes as before.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "memory"
    assert connection.transaction_mode == "IMMEDIATE"
