"""Builders for the operating tests: ports where nothing answers, and fresh interpreters."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


@pytest.fixture
def closed_port():
    """A loopback port that refuses connections: bound once to find a free one, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers, like a hung server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]
    # Closing it resets the connections it never accepted, so the clients stuck on it end.


@pytest.fixture
def redis_url():
    """A database of the local Redis that the suite may use, or a skip when none answers."""
    try:
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1).close()
    except OSError:
        pytest.skip(f"no Redis at {REDIS_HOST}:{REDIS_PORT}")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/14"


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
