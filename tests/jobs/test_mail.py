"""The mail job in the web process (no broker): what it sends, retries, and never raises."""

import smtplib

import pytest

from hipflex_api import mail
from tests.accounts.conftest import RESET_URL
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


def test_backoff_doubles_with_jitter_and_has_a_ceiling(settings):
    settings.MAIL_RETRY_BACKOFF_SECONDS = 10

    for retries, ceiling in [(0, 10), (1, 20), (3, 80), (20, 1800)]:
        waits = [mail.backoff_seconds(retries) for _ in range(50)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits), (retries, waits)


def test_smtp_down_without_a_broker_neither_fails_nor_blocks_the_request(
    api_client, user, settings, mailed, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()

    response = mailed(api_client.post, RESET_URL, {"email": user.email})

    assert response.status_code == 202
    (record,) = [r for r in caplog.records if r.name == "hipflex_api.mail"]
    assert record.levelname == "ERROR"
    assert "not sent" in record.getMessage()
    # The log holds neither the mail's body nor its whole address.
    assert "token" not in record.getMessage()
    assert user.email not in record.getMessage()
    assert f"{user.email[0]}***@{user.email.split('@')[1]}" in record.getMessage()
