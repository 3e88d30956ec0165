"""The project's own processes, started by the tests that need them: gunicorn, and Celery's
worker and beat, as a deployment runs them (the production profile, plain HTTP on loopback),
and runserver on a SQLite file, as `make run` serves the API; and the parts beside them that
the tests break: Redis, a TCP proxy, an SMTP server's handler.

Each writes its output to a log file the test can read, and is stopped by the test's cleanup.
"""

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

from tests.settings import SHELL_SERVICES

ROOT = Path(__file__).resolve().parents[1]
# The Redis database numbers the suite's tests use, one owner each, so that no test's flush
# or keys reach another's.
REDIS_DATABASES = {
    "faults": 11,
    "ops": 12,
    "worker": 13,
    "multi-instance cache": 14,
    "multi-instance broker": 15,
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(**overrides):
    """The environment of a deployed process, on the test database this test commits to."""
    db = settings.DATABASES["default"]
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "test-servers-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **overrides,
    }


class Process:
    """One started process and its log."""

    def __init__(self, name, command, env, log_dir):
        self.name = name
        self.log = Path(log_dir) / f"{name}.log"
        self.started = time.monotonic()
        with self.log.open("w") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own command lines)
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def output(self):
        return self.log.read_text(errors="replace")

    def _check_alive(self):
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited:\n{self.output()}")

    def wait_for_output(self, text, timeout=60):
        deadline = time.monotonic() + timeout
        while text not in self.output():
            self._check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} never printed {text!r}:\n{self.output()}")
            time.sleep(0.1)

    def wait_for_http(self, url, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(url, timeout=5)  # noqa: S310 (loopback)
                return
            # A first answer slow to come (workers still importing on a busy machine) is not
            # yet an answer, as a refused connection is not.
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                self._check_alive()
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} did not answer:\n{self.output()}") from None
                time.sleep(0.2)

    def children(self):
        """The pids of the processes this one started (Celery's pool, gunicorn's workers)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                # The parent's pid is the second field after the command's closing bracket.
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(stat.parent.name))
        return found

    def rss_mib(self):
        """Resident memory of the process and its children (gunicorn's workers), in MiB."""
        pids = [self.process.pid, *self.children()]
        total_kib = 0
        for pid in pids:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total_kib += int(line.split()[1])
        return total_kib / 1024

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class PrivateRedis:
    """A redis-server of the test's own, on a port of its own, that the test breaks: stopped
    and started again on the same port (empty, as a restarted Redis without persistence is),
    or paused and resumed (SIGSTOP, SIGCONT: it hangs, as a Redis in a long fork or behind a
    dropped network does, and comes back with its data)."""

    def __init__(self, log_dir):
        self.log_dir, self.port = Path(log_dir), free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.server = None
        self.paused = False
        self.start()

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.log_dir)]
        self.server = Process(f"redis-{self.port}", command, os.environ, self.log_dir)
        self.server.wait_for_output("Ready to accept connections")

    def stop(self):
        self.resume()
        self.server.stop()

    def pause(self):
        self.server.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.paused:
            self.server.process.send_signal(signal.SIGCONT)
            self.paused = False


class Inbox:
    """An aiosmtpd handler that keeps what it receives, and can refuse the next few mails
    with 451 (a server that is down for now: the sender must try again later), or hold the
    next one unanswered (a sender caught mid-send)."""

    def __init__(self):
        self._changed = threading.Condition()
        self.messages = []
        self.refused = 0
        self._refuse = 0
        self.unknown = set()
        self._hold = False
        self.holding = threading.Event()  # Set while a sender waits on a held mail.
        self._released = threading.Event()

    def hold_next(self):
        """The next mail's RCPT gets no answer until release(): its sender waits mid-send."""
        self.holding.clear()
        self._released.clear()
        self._hold = True

    def release(self):
        self._released.set()

    def refuse_next(self, count):
        with self._changed:
            self._refuse = count

    def clear(self):
        self.release()
        with self._changed:
            self.messages, self.refused, self._refuse = [], 0, 0
            self.unknown = set()
            self._hold = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._hold:
            self._hold = False
            self.holding.set()
            while not self._released.is_set():  # Without blocking the server's other mails.
                await asyncio.sleep(0.05)
        if address in self.unknown:
            # As servers do, the refusal names the address.
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._changed:
            if self._refuse:
                self._refuse -= 1
                self.refused += 1
                return "451 4.3.0 Mail server busy, try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(message)
            self._changed.notify_all()
        return "250 OK"

    def wait_for(self, count, timeout=30):
        """The first `count` messages, once they have arrived."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.messages) >= count, timeout)
            assert arrived, f"{len(self.messages)} of {count} mails arrived in {timeout} s"
            return list(self.messages[:count])


class S3Server:
    """An S3-compatible server on loopback (moto's server mode), with one bucket, stopped by
    the caller. `.endpoint` is its URL; `.client()` a boto3 client of it."""

    BUCKET = "hipflex-media"
    KEYS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}

    def __init__(self, log_dir):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.server = Process(f"s3-{self.port}", command, os.environ, log_dir)
        self.server.wait_for_output("Running on")
        self.client().create_bucket(Bucket=self.BUCKET)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1", **self.KEYS)

    def stored(self):
        listed = self.client().list_objects_v2(Bucket=self.BUCKET)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def storage(self, endpoint=None):
        """settings.STORAGES["default"] as MEDIA_S3_BUCKET makes it, on this server (or on
        `endpoint`, a proxy in front of it)."""
        from botocore.config import Config

        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": self.BUCKET,
                "endpoint_url": endpoint or self.endpoint,
                "region_name": "us-east-1",
                "access_key": self.KEYS["aws_access_key_id"],
                "secret_key": self.KEYS["aws_secret_access_key"],
                "querystring_auth": False,
                "file_overwrite": False,
                # A public bucket's objects, as the API's URLs need (MEDIA_S3_DEFAULT_ACL).
                "default_acl": "public-read",
                "client_config": Config(
                    connect_timeout=1, read_timeout=1, retries={"max_attempts": 2}
                ),
            },
        }

    def stop(self):
        self.server.stop()


class TcpProxy:
    """A TCP proxy on loopback in front of `target` (host, port), which the test cuts (every
    connection through it closed, and new ones refused until it is restored, as a database
    that restarts looks to its clients) or hangs."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = False
        self.hanging = False
        self._lock = threading.Lock()
        self._open = set()
        self._held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # Closed.
            if self.cut_off:
                client.close()
                continue
            if self.hanging:  # Taken, and never answered.
                with self._lock:
                    self._held.append(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                self._drop(end)

    def _drop(self, end):
        with self._lock:
            self._open.discard(end)
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()

    def cut(self):
        self.cut_off = True
        with self._lock:
            ends = list(self._open)
        for end in ends:
            self._drop(end)

    def hang(self):
        """Every connection through it closed, and new ones taken but never answered, as a
        database host gone from the network looks to a client that connects again."""
        self.hanging = True
        self.cut()
        self.cut_off = False

    def restore(self):
        self.cut_off = self.hanging = False
        with self._lock:
            held, self._held = self._held, []
        for client in held:
            client.close()

    def close(self):
        self.cut()
        self.restore()
        # shutdown() wakes the accepting thread, which close() alone would leave blocked.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()


def gunicorn(env, log_dir, *, workers=1, name="web"):
    """A gunicorn serving the API; its base URL is `.base`."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "hipflex_api.wsgi", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    return _answering(Process(name, command, env, log_dir), port)


def _answering(server, port):
    """The started server, once it answers on `port`; its base URL is `.base`."""
    server.base = f"http://127.0.0.1:{port}"
    try:
        server.wait_for_http(f"{server.base}/api/v1/muscles/")
    except BaseException:
        # Never handed to the caller, so never stopped by it: a server left running would
        # hold its database connection and keep the test database from being dropped.
        server.stop()
        raise
    return server


def make_run_env(database, **overrides):
    """`make run`'s environment (the development profile) without a .env, on this SQLite
    file: none of the services the shell may name (the suite's own, which `make run` has not)."""
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("DJANGO_") and k not in SHELL_SERVICES
        },
        "DJANGO_READ_DOT_ENV": "false",
        "DATABASE_URL": f"sqlite:///{database}",
        **overrides,
    }


def manage(env, *args):
    """`manage.py` with these arguments in this environment; what it printed."""
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(  # noqa: S603 (our own command line)
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def migrated_sqlite(directory):
    """A SQLite file in `directory`, migrated, for tests to copy with copy_sqlite()."""
    database = Path(directory) / "db.sqlite3"
    manage(make_run_env(database), "migrate", "--noinput", "--verbosity", "0")
    return database


def copy_sqlite(source, target):
    with (
        contextlib.closing(sqlite3.connect(source)) as old,
        contextlib.closing(sqlite3.connect(target)) as new,
    ):
        old.backup(new)


def runserver(env, log_dir):
    """runserver as `make run` starts it, without the reloader; its base URL is `.base`."""
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    return _answering(Process("runserver", command, env, log_dir), port)


def celery(kind, env, log_dir, *extra, name=None):
    """`celery -A hipflex_api.worker worker|beat`, as a deployment starts it."""
    command = [sys.executable, "-m", "celery", "-A", "hipflex_api.worker", kind, "--loglevel=INFO"]
    return Process(name or f"celery-{kind}", [*command, *extra], env, log_dir)


def local_redis(log_dir):
    """The machine's Redis on 6379 if it answers; else a private redis-server started here
    (stopped by the caller). The URL without a database number, and the process or None."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379", None
    except OSError:
        pass
    try:
        server = PrivateRedis(log_dir)
    except FileNotFoundError:
        raise AssertionError(
            "Tests that use Redis need it: start it on 127.0.0.1:6379, or install redis-server."
        ) from None
    return server.url, server


class Receiver:
    """A webhook receiver on loopback: an HTTP server in this process that keeps each POST
    (its headers and body) and answers with the statuses it is told, one per request, then
    200."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self._changed = threading.Condition()
        self.requests = []
        self._answers = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._changed:
                    status = receiver._answers.pop(0) if receiver._answers else 200
                    receiver.requests.append((dict(self.headers), body, self.path))
                    receiver._changed.notify_all()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"{receiver.url}elsewhere/")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, *statuses):
        """The statuses of the next requests, in order."""
        with self._changed:
            self._answers = list(statuses)

    def wait_for(self, count, timeout=30):
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.requests) >= count, timeout)
            assert arrived, f"{len(self.requests)} of {count} deliveries arrived in {timeout} s"
            return list(self.requests[:count])

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
