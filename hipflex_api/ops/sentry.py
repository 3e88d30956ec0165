"""Errors to Sentry, when settings find SENTRY_DSN set."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        # No user emails, addresses, cookies or bodies leave the server.
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
