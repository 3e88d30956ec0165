"""What `manage.py check --deploy` says about jobs, mail and the cache of a deployment."""

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Mail backends that keep mail in the process or print it: reset tokens would end in the log.
_NOT_SENDING = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


@register(Tags.security, deploy=True)
def jobs_mail_and_cache(app_configs: Any, **kwargs: Any) -> list[Warning]:
    warnings = []
    if settings.CELERY_TASK_ALWAYS_EAGER:
        warnings.append(
            Warning(
                "No broker: background jobs run inside the requests that enqueue them, so a "
                "slow mail server slows them and a failed mail is not retried.",
                hint="Set CELERY_BROKER_URL (or REDIS_URL) and run a worker and one beat.",
                id="hipflex.W001",
            )
        )
    if settings.EMAIL_BACKEND in _NOT_SENDING:
        warnings.append(
            Warning(
                f"Mail is not sent ({settings.EMAIL_BACKEND}): reset and confirmation tokens "
                "would end in the log instead of the inbox.",
                hint="Set EMAIL_URL, such as smtp+tls://user:password@smtp.example.com:587.",
                id="hipflex.W002",
            )
        )
    return warnings + _cache_warnings()


def _cache_warnings() -> list[Warning]:
    answers, counters = settings.CACHES["default"], settings.CACHES[settings.COUNTERS_CACHE]
    if "LocMemCache" in answers["BACKEND"]:
        return [
            Warning(
                "The cache is each process's own: throttles, cached answers and the record of "
                "mail already sent are not shared between processes.",
                hint="Set REDIS_URL.",
                id="hipflex.W003",
            )
        ]
    if counters.get("LOCATION") == answers.get("LOCATION"):
        return [
            Warning(
                "Throttle counts and mail claims share the Redis of cached answers, whose "
                "eviction policy can drop them when it fills up: a login limit would reset.",
                hint="Set COUNTERS_REDIS_URL to a Redis of their own with maxmemory-policy "
                "noeviction (their keys are few and expire within an hour).",
                id="hipflex.W004",
            )
        ]
    return []
