"""Mail: rendered from templates while the request runs, sent by a background job after commit.

A request never waits for SMTP and never fails because of it: the job retries a transient
refusal (a server that is down or answers 4xx) with exponential backoff. The job is kept in the
request's transaction (hipflex_api.jobs), so a mail asked for in a transaction that rolls back
is never sent, and one asked for while the broker is down is sent once it is back. Each mail
carries an id; a job that runs twice for one id (a worker that died before acknowledging it, a
job handed to the broker twice) sends it once.
"""

import contextlib
import logging
import random
import smtplib
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import caches
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from hipflex_api.jobs.outbox import enqueue

logger = logging.getLogger(__name__)

# How long a sent mail's id is remembered, so that a job delivered twice sends it once.
_SENT_MEMORY_SECONDS = 7 * 24 * 3600


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
    """Keep the mail's job in the current transaction; it is sent once that commits."""
    mail_id = uuid.uuid4().hex
    enqueue(
        deliver.name,
        (mail_id, mail.to, mail.subject, mail.text, mail.html),
        # What logs show of the job: never the body (a token) or the whole address.
        argsrepr=repr((mail_id, _masked(mail.to))),
    )


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


def _longest_wait() -> float:
    """A worker holds a job until its countdown ends: past the broker's visibility timeout
    the job would be handed to a second worker as well."""
    return settings.CELERY_VISIBILITY_TIMEOUT_SECONDS / 2


def backoff_seconds(retries: int) -> float:
    """Exponential, with equal jitter (between half the ceiling and the ceiling), so that
    mails refused together are not retried together."""
    ceiling = min(settings.MAIL_RETRY_BACKOFF_SECONDS * 2**retries, _longest_wait())
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (not for secrets)


@shared_task(bind=True, name="hipflex_api.mail.deliver")
def deliver(self: Any, mail_id: str, to: str, subject: str, text: str, html: str) -> str:
    sent_key = f"mail:sent:{mail_id}"
    # With the throttle counts: no flood of cached answers may make it forget a mail it sent.
    cache = caches[settings.COUNTERS_CACHE]
    claim = settings.MAIL_CLAIM_SECONDS
    try:
        # A claim, so that a second run of the job (a redelivery) sends nothing while the
        # first one is sending, nor after it has sent.
        claimed = cache.add(sent_key, f"sending until {time.time() + claim:.0f}", claim)
        held = None if claimed else cache.get(sent_key)
    except Exception as exc:  # The cache is down: later, rather than risk sending twice.
        return _try_again(self, mail_id, to, _describe(exc))
    if not claimed:
        if held == "sent":
            return "already sent"
        # Another run is sending it, or died doing so: after its claim, this one sends it.
        return _after_claim(self, mail_id, to, held)
    message = EmailMultiAlternatives(subject, text, to=[to], headers={"X-Mail-ID": mail_id})
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:
        # Released for the next try; if the cache fails now, that try waits out the claim.
        with contextlib.suppress(Exception):
            cache.delete(sent_key)
        if not _transient(exc):
            logger.error("Mail %s to %s refused: %s", mail_id, _masked(to), _describe(exc))
            return "not sent"
        return _try_again(self, mail_id, to, _describe(exc))
    try:
        cache.set(sent_key, "sent", _SENT_MEMORY_SECONDS)
    except Exception as exc:  # Sent all the same: only a second run of this job could repeat it.
        logger.warning("Mail %s sent, but not recorded as sent: %s", mail_id, type(exc).__name__)
    return "sent"


def _after_claim(task: Any, mail_id: str, to: str, held: Any) -> str:
    if task.request.is_eager:  # No queue to wait on: the run that holds it sends it.
        return "being sent"
    try:
        left = float(str(held).removeprefix("sending until ")) - time.time()
    except ValueError:  # Gone meanwhile (try again at once), or a claim without its end.
        left = 1 if held is None else settings.MAIL_CLAIM_SECONDS
    logger.warning("Mail %s to %s is being sent by another run; waiting", mail_id, _masked(to))
    # Not one of the MAIL_MAX_RETRIES tries: the claim's end bounds the wait, and a run that
    # met its own dead claim (its worker killed, the job handed on) must still send the mail.
    raise task.retry(
        exc=MailNotSentYet("being sent by another run"),
        countdown=min(max(left, 1), _longest_wait()),
        max_retries=None,
    ) from None


def _try_again(task: Any, mail_id: str, to: str, reason: str) -> str:
    """Retry the job after the backoff; `reason` is the error, described without the address."""
    if task.request.is_eager:
        # No broker, so no queue to try again on: only the log keeps the mail.
        logger.error("Mail %s to %s not sent: %s", mail_id, _masked(to), reason)
        return "not sent"
    if task.request.retries >= settings.MAIL_MAX_RETRIES:
        tries = 1 + task.request.retries
        logger.error("Mail %s to %s lost after %d tries: %s", mail_id, _masked(to), tries, reason)
        return "lost"
    logger.warning("Mail %s to %s not sent yet (%s); trying again", mail_id, _masked(to), reason)
    raise task.retry(
        exc=MailNotSentYet(reason),
        countdown=backoff_seconds(task.request.retries),
        max_retries=settings.MAIL_MAX_RETRIES,
    ) from None
