"""The project's settings, as the suite runs them: without a developer's .env, nor the parts
of the shell's environment that would send its jobs to a broker or its mail to a server."""

import os
import tempfile

os.environ["DJANGO_READ_DOT_ENV"] = "false"
# What the shell may set that would reach a broker, a shared cache, a mail server or Sentry;
# the `make run` the suite starts (tests/servers.py) leaves the same out.
SHELL_SERVICES = (
    "REDIS_URL",
    "COUNTERS_REDIS_URL",
    "CACHE_KEY_PREFIX",
    "CELERY_BROKER_URL",
    "CELERY_QUEUE",
    "EMAIL_URL",
    "SENTRY_DSN",
    "METRICS_TOKEN",
    "MEDIA_S3_BUCKET",
)
# A process the suite starts with an environment of its own (the Celery worker) says so.
if os.environ.get("HIPFLEX_TEST_ENVIRONMENT") != "own":
    for name in SHELL_SERVICES:
        os.environ.pop(name, None)

from hipflex_api.settings import *  # noqa: E402, F403 (after the environment is cleaned)

# Uploaded images go to a directory of this run's own, never the checkout's media/.
if os.environ.get("HIPFLEX_TEST_ENVIRONMENT") != "own":
    MEDIA_ROOT = tempfile.mkdtemp(prefix="hipflex-media-")

# Every error answer's code, for the check that each is in its operation's schema
# (tests/error_codes.py), right after the request id so that it sees every answer.
MIDDLEWARE = [MIDDLEWARE[0], "tests.error_codes.RecordErrorCodes", *MIDDLEWARE[1:]]  # noqa: F405
