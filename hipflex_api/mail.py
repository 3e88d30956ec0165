"""Mail: rendered from templates while the request runs, sent by a background job after commit.

A request never waits for SMTP and never fails because of it: the job retries a transient
refusal (a server that is down or answers 4xx) with exponential backoff, and a job enqueued in
a transaction that rolls back is never sent. Each mail carries an id; a job that runs twice for
one id (a worker that died before acknowledging it) sends it once.
"""

import functools
import logging
import random
import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import caches
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# How long a sent mail's id is remembered, so that a job delivered twice sends it once.
_SENT_MEMORY_SECONDS = 7 * 24 * 3600
# How long a job may hold a mail's id while sending it (well past EMAIL_TIMEOUT), after
# which a redelivered job may take it over from a worker that died mid-send.
_CLAIM_SECONDS = 10 * 60
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
    transaction.on_commit(functools.partial(_enqueue, uuid.uuid4().hex, mail))


def _enqueue(mail_id: str, mail: Mail) -> None:
    try:
        deliver.apply_async(
            args=(mail_id, mail.to, mail.subject, mail.text, mail.html),
            # What the worker logs of the job: never the body (a token) or the whole address.
            argsrepr=repr((mail_id, _masked(mail.to))),
            kwargsrepr="{}",
        )
    except Exception as exc:  # The broker is down: the request that asked must not fail.
        logger.error("Mail %s to %s not queued: %s", mail_id, _masked(mail.to), _describe(exc))


def _describe(exc: Exception) -> str:
    """An error, for the log, without what SMTP servers echo back (the address)."""
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__


class MailNotSentYet(Exception):
    """What a retried mail job records as its reason: the error, described without the
    address (hipflex_api.mail._describe)."""


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
    # With the throttle counts: no flood of cached answers may make it forget a mail it sent.
    cache = caches[settings.COUNTERS_CACHE]
    try:
        # A claim, so that a second run of the job (a redelivery) sends nothing while the
        # first one is sending, nor after it has sent.
        claimed = cache.add(sent_key, "sending", _CLAIM_SECONDS)
    except Exception as exc:  # The cache is down: later, rather than risk sending twice.
        return _try_again(self, mail_id, to, exc)
    if not claimed:
        return "already sent"
    message = EmailMultiAlternatives(subject, text, to=[to], headers={"X-Mail-ID": mail_id})
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:
        cache.delete(sent_key)
        if not _transient(exc):
            logger.error("Mail %s to %s refused: %s", mail_id, _masked(to), _describe(exc))
            return "not sent"
        return _try_again(self, mail_id, to, exc)
    cache.set(sent_key, "sent", _SENT_MEMORY_SECONDS)
    return "sent"


def _try_again(task: Any, mail_id: str, to: str, exc: Exception) -> str:
    if task.request.is_eager:
        # No broker, so no queue to try again on: only the log keeps the mail.
        logger.error("Mail %s to %s not sent: %s", mail_id, _masked(to), _describe(exc))
        return "not sent"
    if task.request.retries >= settings.MAIL_MAX_RETRIES:
        tries = 1 + task.request.retries
        logger.error(
            "Mail %s to %s lost after %d tries: %s", mail_id, _masked(to), tries, _describe(exc)
        )
        return "lost"
    logger.warning(
        "Mail %s to %s refused for now (%s); trying again", mail_id, _masked(to), _describe(exc)
    )
    raise task.retry(
        exc=MailNotSentYet(_describe(exc)),
        countdown=backoff_seconds(task.request.retries),
        max_retries=settings.MAIL_MAX_RETRIES,
    ) from None
