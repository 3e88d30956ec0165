"""The broker and the worker failing, as production runs them: gunicorn, Celery workers and
beat on a broker of the test's own (a redis-server it stops, starts, pauses and resumes), the
answers' cache and the throttle counts on another Redis, mail through the suite's SMTP server.
People ask for password resets while the broker is gone or hangs, or while the worker sending
their mail is killed: every request succeeds and every mail arrives, once."""

import os
import signal
import threading
import time
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import httpx
import pytest
from django.db import connection

from hipflex_api.jobs.models import Job
from sessions.models import WorkoutSession
from tests import servers
from tests.conftest import RESET_URL
from tests.factories import ExerciseFactory, UserFactory
from tests.helpers import answered_within
from tests.phones import PASSWORD, Phone

pytestmark = pytest.mark.django_db(transaction=True)

RESETS = 5
# Short, so that the test sees a killed worker's job run again within seconds; longer than
# a mail's claim, as production's are (600 and 100 s), and its half (the jobs' time limit)
# longer than EMAIL_TIMEOUT.
VISIBILITY_SECONDS = 14
CLAIM_SECONDS = 6
JOBS_RELAY_SECONDS = 1
# What a request that mails may take while the broker is down or hangs: two tries of
# BROKER_TIMEOUT_SECONDS (1), and a margin for a busy machine.
MAILING_REQUEST_SECONDS = 5


@pytest.fixture
def deployment(redis_server, smtp_server, tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("The web server and the workers share the database: PostgreSQL's.")
    # Passwords the server can check: its hashers are production's, not the suite's.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    broker = servers.PrivateRedis(tmp_path)
    run = uuid.uuid4().hex
    env = servers.production_env(
        REDIS_URL=f"{redis_server}/{servers.REDIS_DATABASES['faults']}",
        CACHE_KEY_PREFIX=f"faults-{run}",
        CELERY_BROKER_URL=f"{broker.url}/0",
        CELERY_QUEUE=f"faults-{run}",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        EMAIL_TIMEOUT="5",
        MAIL_CLAIM_SECONDS=str(CLAIM_SECONDS),
        CELERY_VISIBILITY_TIMEOUT_SECONDS=str(VISIBILITY_SECONDS),
        JOBS_RELAY_SECONDS=str(JOBS_RELAY_SECONDS),
        MAIL_RETRY_BACKOFF_SECONDS="1",
        THROTTLE_MAIL_IP="1000/hour",
        MAX_SESSIONS_PER_DAY="1000000",
    )
    smtp_server.clear()
    started = []

    def start_worker(name, *pool):
        pool = pool or ("--pool=solo",)
        worker = servers.celery(
            "worker", env, tmp_path, *pool, "-n", f"{name}@%h", name=f"worker-{name}"
        )
        started.append(worker)
        worker.wait_for_output(" ready.")
        return worker

    try:
        web = servers.gunicorn(env, tmp_path)
        started.append(web)
        started.append(servers.celery("beat", env, tmp_path, "-s", str(tmp_path / "schedule")))
        with httpx.Client(base_url=web.base, timeout=20) as http:
            yield SimpleNamespace(
                base=web.base, broker=broker, http=http, start_worker=start_worker
            )
    finally:
        for process in started:
            process.stop()
        broker.stop()


@contextmanager
def a_phone_uploading(deployment, seconds):
    """A phone logging sessions for `seconds` while the test breaks the broker; then what it
    was told is stored is what is stored, once. The number of sessions."""
    exercise = ExerciseFactory(name="King Runner").slug
    UserFactory(email="uploader@example.com", password=PASSWORD)
    phone = Phone(deployment.base, "uploader@example.com", exercise)
    errors = []

    def drive():
        try:
            phone.run(0, time.monotonic() + seconds)
        except BaseException as exc:  # Re-raised below, in the test's thread.
            errors.append(exc)

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    yield phone
    thread.join(60)
    assert not thread.is_alive(), "the phone hung"
    if errors:
        raise errors[0]
    assert set(phone.statuses) <= {200, 201, 204, 412}, phone.statuses
    stored = WorkoutSession.objects.filter(user__email=phone.email, deleted_at=None)
    assert {str(pk) for pk in stored.values_list("pk", flat=True)} == set(phone.live)


def ask_for_resets(deployment, label):
    """RESETS people ask for a reset; each answer comes within the broker's timeouts. Their
    addresses, and the slowest answer's seconds."""
    emails = [UserFactory(email=f"{label}{n}@example.com").email for n in range(RESETS)]
    slowest = 0.0
    for address in emails:
        asked = time.monotonic()
        response = answered_within(
            lambda a=address: deployment.http.post(RESET_URL, json={"email": a}),
            seconds=MAILING_REQUEST_SECONDS,
        )
        assert response.status_code == 202, response.text
        slowest = max(slowest, time.monotonic() - asked)
    return emails, slowest


def mailed_once(smtp_server, emails):
    """Seconds until a mail to each of `emails` arrived; and none arrives twice."""
    since = time.monotonic()
    messages = smtp_server.wait_for(len(emails), timeout=60)
    arrived = time.monotonic() - since
    # Long enough for the relay to run thrice more and a duplicate to show.
    time.sleep(3 * JOBS_RELAY_SECONDS + 1)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(emails)
    assert sorted(m["To"] for m in messages) == sorted(emails)
    assert not Job.objects.exists()
    return arrived


def test_mail_asked_for_while_the_broker_is_down_is_sent_once_when_it_returns(
    deployment, smtp_server, capsys
):
    deployment.start_worker("a")
    with a_phone_uploading(deployment, seconds=6) as phone:
        deployment.broker.stop()

        emails, slowest = ask_for_resets(deployment, "down")

        assert Job.objects.count() == RESETS  # Kept, in the requests' transactions.
        assert smtp_server.messages == []
        # What an operator sees: the instance stays in the load balancer, its broker named.
        ready = deployment.http.get("/readyz")
        assert (ready.status_code, ready.json()["status"]) == (200, "degraded")
        assert ready.json()["checks"]["broker"] == "unreachable"
        deployment.broker.start()  # Empty, as a restarted Redis without persistence is.
        arrived = mailed_once(smtp_server, emails)
    with capsys.disabled():
        print(
            f"\nbroker down: {RESETS} resets answered 202 (slowest {slowest:.2f} s), "
            f"{RESETS} jobs kept; after it returned every mail arrived in {arrived:.2f} s, once; "
            f"a phone logging meanwhile had {len(phone.live)} sessions stored, "
            f"answers {dict(sorted(phone.statuses.items()))}"
        )


def test_mail_asked_for_while_the_broker_hangs_is_sent_once_when_it_answers(
    deployment, smtp_server, capsys
):
    deployment.start_worker("a")
    deployment.broker.pause()

    emails, slowest = ask_for_resets(deployment, "hung")

    assert Job.objects.count() == RESETS
    # What a request wrote before giving up waiting may still reach the queue now: the relay
    # hands that job over again, and its mail still goes once.
    deployment.broker.resume()
    arrived = mailed_once(smtp_server, emails)
    with capsys.disabled():
        print(
            f"\nbroker hung: {RESETS} resets answered 202 (slowest {slowest:.2f} s), "
            f"{RESETS} jobs kept; after it answered every mail arrived in {arrived:.2f} s, once"
        )


def _mid_send(deployment, smtp_server, worker, email):
    """A reset asked for, and its mail held at the SMTP server: `worker` is sending it."""
    smtp_server.hold_next()
    assert deployment.http.post(RESET_URL, json={"email": email}).status_code == 202
    assert smtp_server.holding.wait(30), worker.output()


def test_a_worker_killed_mid_send_has_its_mail_sent_once_by_another(
    deployment, smtp_server, capsys
):
    first = deployment.start_worker("a")
    user = UserFactory(email="killed@example.com")
    _mid_send(deployment, smtp_server, first, user.email)

    first.process.kill()  # SIGKILL, mid-send: the job is neither acknowledged nor retried.
    killed = time.monotonic()
    first.process.wait(10)
    smtp_server.release()
    # A worker started once the job's visibility timeout has passed takes it at start-up;
    # by then the dead run's claim on the mail has ended.
    time.sleep(VISIBILITY_SECONDS + 0.5)
    second = deployment.start_worker("b")

    (message,) = smtp_server.wait_for(1, timeout=60)
    recovered = time.monotonic() - killed
    time.sleep(2)
    assert [m["To"] for m in smtp_server.messages] == [user.email]
    assert message["X-Mail-ID"] in second.output()
    assert "being sent by another run" not in second.output()
    with capsys.disabled():
        print(
            f"\nworker killed mid-send: the mail arrived once, from another worker, "
            f"{recovered:.2f} s later (visibility timeout {VISIBILITY_SECONDS} s)"
        )


def test_a_worker_process_killed_mid_send_has_its_mail_sent_once_after_its_claim(
    deployment, smtp_server, capsys
):
    worker = deployment.start_worker("a", "--pool=prefork", "--concurrency=1")
    user = UserFactory(email="child@example.com")
    _mid_send(deployment, smtp_server, worker, user.email)
    (child,) = worker.children()

    # The pool's process dies (the kernel's OOM killer, say): its worker hands the job on at
    # once, to the process it starts in its place, which waits out the dead one's claim.
    os.kill(child, signal.SIGKILL)
    killed = time.monotonic()
    smtp_server.release()

    smtp_server.wait_for(1, timeout=60)
    recovered = time.monotonic() - killed
    time.sleep(2)
    assert [m["To"] for m in smtp_server.messages] == [user.email]
    assert "being sent by another run" in worker.output()
    assert recovered >= CLAIM_SECONDS - 2  # Not before the claim (taken before the kill) ended.
    with capsys.disabled():
        print(
            f"\nworker process killed mid-send: the mail arrived once, {recovered:.2f} s later, "
            f"after the dead run's claim ({CLAIM_SECONDS} s)"
        )
