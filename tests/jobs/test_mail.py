"""The mail job in the web process (no broker): what it sends, retries, and never raises."""

import re
import smtplib

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from hipflex_api import mail
from hipflex_api.accounts.models import AccountToken
from hipflex_api.accounts.serializers import RESET_MAILED
from hipflex_api.jobs.models import Job
from tests.conftest import RESET_URL
from tests.factories import UserFactory
from tests.jobs.conftest import jobs_on
from tests.servers import free_port

pytestmark = pytest.mark.django_db


def a_mail(to="ann@example.com"):
    return mail.Mail(to=to, subject="Hello", text="Plain words", html="<p>Plain words</p>")


def deliver(mail_id, message):
    return mail.deliver.apply(
        args=(mail_id, message.to, message.subject, message.text, message.html)
    )


def test_a_mail_goes_out_with_its_text_and_html(mailoutbox):
    assert deliver("m1", a_mail()).result == "sent"

    (message,) = mailoutbox
    assert (message.to, message.subject, message.body) == (
        ["ann@example.com"],
        "Hello",
        "Plain words",
    )
    assert message.alternatives[0] == ("<p>Plain words</p>", "text/html")
    assert message.extra_headers["X-Mail-ID"] == "m1"


def test_a_job_run_twice_for_one_mail_sends_it_once(mailoutbox):
    deliver("m2", a_mail())

    assert deliver("m2", a_mail()).result == "already sent"
    assert deliver("m3", a_mail()).result == "sent"
    assert len(mailoutbox) == 2


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (smtplib.SMTPServerDisconnected(), True),
        (smtplib.SMTPDataError(451, b"busy"), True),
        (smtplib.SMTPDataError(554, b"rejected"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"mailbox busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")}), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_errors_that_may_pass_are_retried(error, transient):
    assert mail._transient(error) is transient


def test_backoff_doubles_with_jitter_and_stays_below_the_visibility_timeout(settings):
    settings.MAIL_RETRY_BACKOFF_SECONDS = 10
    settings.CELERY_VISIBILITY_TIMEOUT_SECONDS = 600

    for retries, ceiling in [(0, 10), (1, 20), (3, 80), (5, 300), (20, 300)]:
        waits = [mail.backoff_seconds(retries) for _ in range(50)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits), (retries, waits)


def _mail_log(caplog):
    return [r for r in caplog.records if r.name == "hipflex_api.mail"]


def test_smtp_down_without_a_broker_does_not_fail_the_request(
    api_client, user, settings, mailed, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()

    response = mailed(api_client.post, RESET_URL, {"email": user.email})

    assert response.status_code == 202
    (record,) = _mail_log(caplog)
    assert record.levelname == "ERROR"
    assert "not sent: ConnectionRefusedError" in record.getMessage()
    token = AccountToken.objects.get(user=user)
    assert user.email not in record.getMessage()
    assert f"{user.email[0]}***@{user.email.split('@')[1]}" in record.getMessage()
    assert token.digest not in record.getMessage()


def test_a_refusal_is_logged_without_the_address_the_server_echoes(smtp_server, settings, caplog):
    smtp_server.clear()
    smtp_server.unknown.add("ann@example.com")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port

    assert deliver("m4", a_mail()).result == "not sent"

    (record,) = _mail_log(caplog)
    assert "ann@example.com" not in record.getMessage()
    assert "refused: SMTPRecipientsRefused" in record.getMessage()
    assert smtp_server.messages == []


def test_a_mail_another_run_is_sending_is_left_to_it_without_a_broker(mailoutbox):
    # As a first run of the job does, still at it.
    caches[settings.COUNTERS_CACHE].add("mail:sent:m5", "sending until 0", 60)

    assert deliver("m5", a_mail()).result == "being sent"
    assert mailoutbox == []


@pytest.mark.parametrize("email", ["ann@example.com", "nobody@example.com"])
def test_a_broker_that_is_down_fails_no_request_tells_nothing_and_keeps_the_mail(
    api_client, mailed, caplog, email
):
    UserFactory(email="ann@example.com")

    with jobs_on(f"redis://127.0.0.1:{free_port()}/0"):
        response = mailed(api_client.post, RESET_URL, {"email": email})

    assert (response.status_code, response.json()) == (202, {"detail": RESET_MAILED})
    kept = list(Job.objects.values_list("task", "argsrepr"))
    logged = [r.getMessage() for r in caplog.records if r.name == "hipflex_api.jobs.outbox"]
    if email == "nobody@example.com":
        assert (kept, logged) == ([], [])
    else:
        ((task, argsrepr),) = kept
        assert task == "hipflex_api.mail.deliver"
        assert re.fullmatch(r"\('\w+', 'a\*\*\*@example.com'\)", argsrepr), argsrepr
        (line,) = logged
        assert line.startswith(f"Job {task} {argsrepr} (")
        assert line.endswith(") kept until the broker takes it"), line


def test_without_a_broker_a_mail_goes_once_its_transaction_commits_and_never_if_it_rolls_back(
    django_capture_on_commit_callbacks, mailoutbox
):
    def fail_after_enqueueing():
        with transaction.atomic():
            mail.send_after_commit(a_mail("ghost@example.com"))
            raise RuntimeError("the request failed")

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            fail_after_enqueueing()
        with transaction.atomic():
            mail.send_after_commit(a_mail("real@example.com"))
            assert mailoutbox == []  # Not while the transaction is open.

    assert [message.to for message in mailoutbox] == [["real@example.com"]]
    assert not Job.objects.exists()  # Handed over (here: run) and deleted.
