"""PostgreSQL failing under gunicorn as production runs it: its connections cut by a TCP proxy
the test controls (a restart or a failover, as the clients see one), or terminated by the
server (`pg_terminate_backend`). Phones go on uploading and retrying throughout."""

import threading
import time
import uuid
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from sessions.models import SetLog, WorkoutSession
from tests import servers
from tests.conftest import EXERCISES_URL, SESSIONS_URL
from tests.factories import ExerciseFactory, UserFactory
from tests.helpers import answered_within
from tests.phones import PASSWORD, Phone

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 4


def _first_success_after(phones, moment):
    """Seconds from `moment` to the first 2xx any phone got after it."""
    return (
        min(t for p in phones for t, status in p.answered if t >= moment and status < 300) - moment
    )


def _terminate_the_servers_connections():
    """pg_terminate_backend of every other connection to the test database (the server's),
    each waited for until it is gone (up to 5 s), so none is caught half-way."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def web(tmp_path, settings):
    """gunicorn, two workers keeping their connections (CONN_MAX_AGE 60, production's), to
    PostgreSQL through a proxy; the phones' accounts and the exercise they log."""
    if connection.vendor != "postgresql":
        pytest.skip("The database's connections are cut on PostgreSQL, production's database.")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    db = settings.DATABASES["default"]
    proxy = servers.TcpProxy((db["HOST"], int(db["PORT"])))
    env = servers.production_env(
        DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
        DATABASE_CONN_MAX_AGE="60",
        DATABASE_CONNECT_TIMEOUT_SECONDS="2",
        DATABASE_STATEMENT_TIMEOUT_SECONDS="1",
        THROTTLE_LOGIN_IP="1000/min",
        MAX_SESSIONS_PER_DAY="1000000",
    )
    server = servers.gunicorn(env, tmp_path, workers=2)
    exercise = ExerciseFactory(name="King Runner").slug
    for n in range(CLIENTS):
        UserFactory(email=f"phone{n}@example.com", password=PASSWORD)
    yield SimpleNamespace(
        base=server.base, proxy=proxy, exercise=exercise, log=server.output, env=env
    )
    server.stop()
    proxy.close()


def test_the_first_request_after_the_database_dropped_every_connection_succeeds(web):
    phone = Phone(web.base, "phone0@example.com", web.exercise)
    for _ in range(4):  # The workers that answered keep their connections.
        assert phone.call("GET", EXERCISES_URL)[0] == 200

    assert _terminate_the_servers_connections() >= 1
    # Each worker finds its kept connection dead before it uses it, and opens another.
    statuses = [phone.call("GET", SESSIONS_URL)[0] for _ in range(4)]

    assert statuses == [200] * 4
    assert phone.waited == 0


def test_while_the_database_is_unreachable_requests_get_a_json_503_and_save_nothing(web):
    phone = Phone(web.base, "phone0@example.com", web.exercise)
    web.proxy.cut()
    upload = {
        "id": str(uuid.uuid4()),
        "started_at": "2026-03-01T07:00:00Z",
        "sets": [{"exercise": web.exercise, "reps": 10}],
    }

    answers = [
        phone.call("GET", EXERCISES_URL, retry=False),
        phone.call("GET", SESSIONS_URL, retry=False),
        phone.call("POST", SESSIONS_URL, upload, retry=False),
    ]

    for status, body, head in answers:
        assert status == 503
        assert body["code"] == "database_unavailable"
        assert head["Retry-After"] == "2"
    web.proxy.restore()
    assert WorkoutSession.objects.count() == 0
    assert phone.call("GET", EXERCISES_URL)[0] == 200


def test_a_database_that_takes_connections_and_never_answers_is_a_503_in_seconds(web):
    phone = Phone(web.base, "phone0@example.com", web.exercise)
    web.proxy.hang()

    status, body, head = answered_within(
        lambda: phone.call("GET", SESSIONS_URL, retry=False), seconds=15
    )

    assert (status, body["code"], head["Retry-After"]) == (503, "database_unavailable", "2")
    web.proxy.restore()
    assert phone.call("GET", SESSIONS_URL)[0] == 200


def test_a_statement_held_past_the_timeout_is_a_503_and_commands_have_no_timeout(web):
    phone = Phone(web.base, "phone0@example.com", web.exercise)
    with transaction.atomic(), connection.cursor() as cursor:
        # As a long migration or a stuck transaction would: every read of sessions waits.
        cursor.execute(f"LOCK TABLE {WorkoutSession._meta.db_table} IN ACCESS EXCLUSIVE MODE")

        status, body, head = answered_within(
            lambda: phone.call("GET", SESSIONS_URL, retry=False), seconds=10
        )

    assert (status, body["code"], head["Retry-After"]) == (503, "database_busy", "5")
    assert phone.call("GET", SESSIONS_URL)[0] == 200
    shown = servers.manage(
        web.env,
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW statement_timeout'); print(c.fetchone()[0])",
    )
    assert shown.splitlines()[-1] == "0"  # PostgreSQL's default: none.


def test_phones_lose_and_duplicate_nothing_through_a_cut_and_a_terminated_backend(web, capsys):
    phones = [Phone(web.base, f"phone{n}@example.com", web.exercise) for n in range(CLIENTS)]
    until = time.monotonic() + 9
    errors: list[BaseException] = []

    def drive(phone, index):
        try:
            phone.run(index, until, edits=False)
        except BaseException as exc:  # Re-raised below, in the test's thread.
            errors.append(exc)

    threads = [
        threading.Thread(target=drive, args=(p, n), daemon=True) for n, p in enumerate(phones)
    ]
    for thread in threads:
        thread.start()
    time.sleep(2)
    web.proxy.cut()  # A restart: every connection gone, none taken for two seconds.
    time.sleep(2)
    web.proxy.restore()
    back = time.monotonic()
    time.sleep(2)
    terminated = _terminate_the_servers_connections()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a phone hung"
    if errors:
        raise errors[0]

    statuses = sum((p.statuses for p in phones), Counter())
    assert not [s for s in statuses if s >= 500 and s != 503], (statuses, web.log()[-3000:])
    for phone in phones:
        stored = WorkoutSession.objects.filter(user__email=phone.email)
        live = {str(s.pk): s for s in stored if s.deleted_at is None}
        assert set(live) == set(phone.live), "the database differs from what was acknowledged"
        assert {str(s.pk) for s in stored if s.deleted_at is not None} == phone.deleted
        for session_id, expected in phone.live.items():
            assert SetLog.objects.filter(session_id=session_id).count() == expected["sets"]
        assert phone.sync()[0] == phone.live
    assert statuses[503] > 0, "the cut never reached a request"
    with capsys.disabled():
        print(
            f"\ndatabase faults: a 2 s cut, then {terminated} connections terminated; "
            f"{sum(len(p.live) for p in phones)} sessions acknowledged and stored once; "
            f"503s waited out {sum(p.waited for p in phones)}; "
            f"answers {dict(sorted(statuses.items()))}; "
            f"first success after the cut {_first_success_after(phones, back):.2f} s"
        )
