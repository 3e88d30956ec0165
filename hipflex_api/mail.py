"""Mail: rendered from templates while the request runs, sent by a background job after commit.

A request never waits for SMTP and never fails because of it: the job retries a transient
refusal (a server that is down or answers 4xx) with exponential backoff, and a job enqueued in
a transaction that rolls back is never sent. Each mail carries an id; a job that runs twice for
one id (a worker that died before acknowledging it) sends it once.
"""

import logging
import random
import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# How long a sent mail's id is remembered, so that a job delivered twice sends it once.
_SENT_MEMORY_SECONDS = 7 * 24 * 3600
# The longest wait between two tries.
_MAX_BACKOFF_SECONDS = 30 * 60


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str


def render(template: str, *, to: str, context: Mapping[str, Any]) -> Mail:
    """`template`_subject.txt, .txt and .html, rendered with the product's name and `context`."""
    full = {"product": settings.MAIL_PRODUCT_NAME, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", full).split())
    return Mail(
        to=to,
        subject=subject,
        text=render_to_string(f"{template}.txt", full),
        html=render_to_string(f"{template}.html", full),
    )


def send_after_commit(mail: Mail) -> None:
    """Enqueue the mail once the current transaction commits (at once outside of one)."""
    deliver.delay_on_commit(uuid.uuid4().hex, mail.to, mail.subject, mail.text, mail.html)


def _transient(exc: Exception) -> bool:
    """Whether trying again later may succeed: the server is unreachable or said 4xx."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, smtplib.SMTPException | OSError)


def _masked(address: str) -> str:
    """Enough of an address to tell mails apart in a log, not to read it: a***@example.com."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def backoff_seconds(retries: int) -> float:
    """Exponential, with full jitter, so that mails refused together are not retried together."""
    ceiling = min(settings.MAIL_RETRY_BACKOFF_SECONDS * 2**retries, _MAX_BACKOFF_SECONDS)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (not for secrets)


@shared_task(bind=True, name="hipflex_api.mail.deliver")
def deliver(self: Any, mail_id: str, to: str, subject: str, text: str, html: str) -> str:
    sent_key = f"mail:sent:{mail_id}"
    if cache.get(sent_key):
        return "already sent"
    message = EmailMultiAlternatives(subject, text, to=[to], headers={"X-Mail-ID": mail_id})
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:
        if not _transient(exc) or self.request.is_eager:
            # A permanent refusal, or no queue to retry on (no broker): only the log keeps it.
            logger.error("Mail %s to %s not sent: %r", mail_id, _masked(to), exc)
            return "not sent"
        if self.request.retries >= settings.MAIL_MAX_RETRIES:
            tries = 1 + self.request.retries
            logger.error("Mail %s to %s lost after %d tries: %r", mail_id, _masked(to), tries, exc)
            return "lost"
        logger.warning(
            "Mail %s to %s refused for now (%r); trying again", mail_id, _masked(to), exc
        )
        raise self.retry(
            exc=exc,
            countdown=backoff_seconds(self.request.retries),
            max_retries=settings.MAIL_MAX_RETRIES,
        ) from exc
    cache.set(sent_key, True, _SENT_MEMORY_SECONDS)
    return "sent"
