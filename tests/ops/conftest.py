"""Builders for the operating tests: ports where nothing answers, and fresh interpreters."""

import os
import socket
import subprocess
import sys

import pytest

from tests.servers import REDIS_DATABASES, ROOT, free_port


@pytest.fixture
def closed_port():
    """A loopback port that refuses connections: bound once to find a free one, then closed."""
    return free_port()


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers, like a hung server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]
    # Closing it resets the connections it never accepted, so the clients stuck on it end.


@pytest.fixture
def redis_url(redis_server):
    """The Redis database of the ops tests (their keys carry a prefix of their own)."""
    return f"{redis_server}/{REDIS_DATABASES['ops']}"


def run_python(code, **env):
    """Run `code` in a fresh interpreter with the project's settings and only `env` changed."""
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SENTRY_", "METRICS_"))
    }
    return subprocess.run(  # noqa: S603 - our own interpreter with code from the tests
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "hipflex_api.settings",
            "DJANGO_READ_DOT_ENV": "false",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
