"""Load and scale benchmark: the real server under wrk, every endpoint against a bare view.

    make bench                       PostgreSQL when DATABASE_URL is set (database hipflex_bench
                                     on that server, created and dropped), else a temp SQLite file

Starts gunicorn as production runs it (sync workers, DEBUG off) on loopback, fills the database
with the test factories, and drives each endpoint with wrk, interleaved with the baseline (a
bare Django view on the same server, see bench/baseline.py) so that each endpoint
is judged by its ratio to a baseline measured moments before and after. Writes
bench/results/<timestamp>-<database>.json and .png and prints a table.

Knobs (environment): BENCH_SECONDS (per run, 5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (8),
BENCH_WORKERS (2), BENCH_EXERCISES (5000), BENCH_SESSIONS (50000), BENCH_OTHER_USERS (2, each
with 10000 sessions), BENCH_CLIENTS (200, the coached trainer's clients), BENCH_CLIENT_SESSIONS
(1000 each), BENCH_EXPORT_RUNS (3), BENCH_SEED.
"""

import hashlib
import json
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WRK_DIR = BENCH / "wrk"
RESULTS = BENCH / "results"
BENCH_DB_NAME = "hipflex_bench"
BIN = Path(sys.executable).parent

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
EXERCISES = int(os.environ.get("BENCH_EXERCISES", "5000"))
SMALL_CATALOG = 50
HEAVY_SESSIONS = int(os.environ.get("BENCH_SESSIONS", "50000"))
LIGHT_SESSIONS = 20
OTHER_USERS = int(os.environ.get("BENCH_OTHER_USERS", "2"))
OTHER_SESSIONS = 10000
SEED = int(os.environ.get("BENCH_SEED", "20261126"))
# A trainer with many clients, and one with a few, each client with a daily history and a
# program: the client list, the review queue and a client's plan.
COACHED_CLIENTS = int(os.environ.get("BENCH_CLIENTS", "200"))
FEW_CLIENTS = 5
CLIENT_SESSIONS = int(os.environ.get("BENCH_CLIENT_SESSIONS", "1000"))
TRAINERS = {"coach": COACHED_CLIENTS, "coach-few": FEW_CLIENTS}
UPLOAD_SETS = 10
# The broker uploads hand their webhook deliveries to, as production's web processes do; no
# worker takes them in the run (its own Redis database, emptied before and after).
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
# The endpoints of the user whose uploads are measured against the plain uploader's.
WEBHOOK_ENDPOINTS = 3
# How much slower an upload told to that many endpoints may be (issue 16's target).
WEBHOOK_COST_TARGET = 0.10
# A run during which other processes used more than this many CPUs is flagged as noisy.
NOISY_CPUS = 0.25
# The heaviest endpoints answer in seconds on SQLite; a queued request must not time out.
WRK_TIMEOUT = "30s"

SYNC_PAGE = "/api/v1/sync/?limit=20"  # Twenty sessions, so heavy and light answer alike.
CLIENTS = "/api/v1/coaching/clients/"  # The first page, as an app opens it.
REVIEW = "/api/v1/coaching/review/"
EXPORT = "/api/v1/me/export/"
EXPORT_RUNS = int(os.environ.get("BENCH_EXPORT_RUNS", "3"))
EXPORT_GROWTH_MIB = 30  # The most a worker's memory may grow while it streams the export.


class Progress:
    """One line per step, with the time since the start."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def __call__(self, message: str) -> None:
        print(f"[{self.elapsed:6.1f}s] {message}", flush=True)


progress = Progress()


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    user: str | None = None  # Key into the tokens: "heavy", "uploader" and the rest.
    target: float | None = None  # Least rps, as a share of the baseline's.
    if_none_match: str | None = None
    body: Path | None = None
    note: str = ""
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def script(self) -> Path:
        if self.body is not None:
            return WRK_DIR / "post_json.lua"
        if self.if_none_match is not None:
            return WRK_DIR / "if_none_match.lua"
        return WRK_DIR / "report.lua"


# Database -------------------------------------------------------------------------------


def _maintenance_dsn(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql", path="/postgres"))


@contextmanager
def throwaway_database() -> Iterator[tuple[str, str]]:
    """A database URL for this run, and a description; the database is gone afterwards."""
    admin_url = os.environ.get("DATABASE_URL", "")
    if admin_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        import psycopg

        url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{BENCH_DB_NAME}"))
        drop = f'DROP DATABASE IF EXISTS "{BENCH_DB_NAME}" WITH (FORCE)'
        with psycopg.connect(_maintenance_dsn(admin_url), autocommit=True) as conn:
            conn.execute(drop)
            conn.execute(f'CREATE DATABASE "{BENCH_DB_NAME}"')
        try:
            yield url, f"PostgreSQL, database {BENCH_DB_NAME} (dropped afterwards)"
        finally:
            with psycopg.connect(_maintenance_dsn(admin_url), autocommit=True) as conn:
                conn.execute(drop)
    elif admin_url and not admin_url.startswith("sqlite"):
        raise SystemExit(f"bench: DATABASE_URL must be PostgreSQL or SQLite, not {admin_url!r}")
    else:
        folder = tempfile.mkdtemp(prefix="hipflex-bench-")
        try:
            yield f"sqlite:///{folder}/bench.sqlite3", f"SQLite, {folder}/bench.sqlite3 (deleted)"
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def throwaway_broker() -> Iterator[None]:
    """BROKER_URL's Redis database, empty for the run and emptied after it: the jobs the
    uploads hand over pile up there, as no worker runs."""
    import redis

    broker = redis.Redis.from_url(BROKER_URL)
    try:
        broker.flushdb()
    except redis.RedisError as exc:
        raise SystemExit(f"bench: the broker at {BROKER_URL} (BENCH_BROKER_URL): {exc}") from exc
    try:
        yield
    finally:
        broker.flushdb()


def production_env(database_url: str) -> dict[str, str]:
    """The production profile, less HTTPS (plain HTTP on loopback), plus the baseline view."""
    return {
        "DJANGO_SETTINGS_MODULE": "hipflex_api.settings",
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_BENCHMARK": "true",
        "DATABASE_URL": database_url,
        # Every login comes from one address; tokens must outlive the run.
        "THROTTLE_LOGIN_IP": "100000/min",
        "THROTTLE_LOGIN_ACCOUNT": "100000/min",
        "THROTTLE_LOGIN_ACCOUNT_CLIENT": "100000/min",
        # The uploader stores thousands of sessions a minute, far past a person's day.
        "MAX_SESSIONS_PER_DAY": "100000000",
        "JWT_ACCESS_MINUTES": "600",
        "CELERY_BROKER_URL": BROKER_URL,
        "DJANGO_LOG_LEVEL": "WARNING",
        # WhiteNoise warns that STATIC_ROOT is missing: the benchmark serves no static files.
        "PYTHONWARNINGS": "ignore:No directory at",
    }


# Server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on a free loopback port: the API, or (`plain` naming a trick of bench/plain.py)
    the API with that trick switched off."""

    def __init__(self, log: Path, plain: str = "") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.plain = plain
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            str(BIN / "gunicorn"),
            "bench.plain:application" if self.plain else "hipflex_api.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--error-logfile",
            str(self.log),
            "--log-level",
            "warning",
        ]
        env = {**os.environ, "BENCH_PLAIN": self.plain}
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: gunicorn exited; see {self.log}")
            try:
                status, _, _ = http(self.base + "/bench/baseline/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"bench: gunicorn did not answer within 30 s; see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self) -> list[int]:
        if self.process is None:
            raise RuntimeError("the server is not running")
        master = self.process.pid
        return sorted(
            int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _parent(int(pid)) == master
        )

    def worker_memory(self) -> dict[str, Any]:
        """RSS and PSS of the master and of each worker, in MiB, from /proc."""
        if self.process is None:
            raise RuntimeError("the server is not running")
        return {
            "master": _memory(self.process.pid),
            "workers": [_memory(pid) for pid in self.worker_pids()],
        }


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int | str) -> list[str] | None:
    """/proc/<pid>/stat after the command name: fields[0] is the state, [1] the parent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_snapshot(server: "Server") -> tuple[float, float]:
    """CPU seconds used so far by the whole machine, and by the benchmark itself: the server,
    PostgreSQL, and wrk (a finished child). Their difference over a run is other load."""
    with open("/proc/stat") as stat:
        user, nice, system = map(int, stat.readline().split()[1:4])
    # Interrupt time is left out: loopback traffic is handled there, charged to no process.
    machine = (user + nice + system) / CLOCK_TICKS
    ours = 0
    tree = {server.process.pid} if server.process else set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fields = _stat_fields(pid)
        if fields is None:
            continue
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if int(pid) in tree or int(fields[1]) in tree or name == "postgres":
            ours += int(fields[11]) + int(fields[12])
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return machine, ours / CLOCK_TICKS + children.ru_utime + children.ru_stime


def _parent(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[1])


def _mib(path: str, key: str) -> float | None:
    """A `key: n kB` line of a /proc file, in MiB."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _memory(pid: int) -> dict[str, Any]:
    return {
        "pid": pid,
        "rss_mib": _mib(f"/proc/{pid}/status", "VmRSS"),
        "pss_mib": _mib(f"/proc/{pid}/smaps_rollup", "Pss"),
    }


def http(
    url: str, *, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# Load -----------------------------------------------------------------------------------


def wrk(server: Server, endpoint: Endpoint, tokens: dict[str, str], seconds: int) -> dict:
    command = [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        WRK_TIMEOUT,
        "-s",
        str(endpoint.script),
    ]
    if endpoint.user is not None:
        command += ["-H", f"Authorization: Bearer {tokens[endpoint.user]}"]
    command.append(server.base + endpoint.path)
    env = {
        **os.environ,
        "BENCH_WRK_DIR": str(WRK_DIR),
        "BENCH_SEED": str(random.randrange(2**31)),  # noqa: S311 - ids, not secrets
        "BENCH_BODY": str(endpoint.body or ""),
        "BENCH_IF_NONE_MATCH": endpoint.if_none_match or "",
    }
    machine_before, ours_before = cpu_snapshot(server)
    started = time.monotonic()
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, env=env, check=True
    ).stdout
    wall = time.monotonic() - started
    machine_after, ours_after = cpu_snapshot(server)
    line = next(x for x in output.splitlines() if x.startswith("BENCH_RESULT "))
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    # CPUs' worth of work by processes outside the benchmark: other jobs on a shared machine.
    other = (machine_after - machine_before) - (ours_after - ours_before)
    result["other_load_cpus"] = round(max(other, 0) / wall, 2)
    # Requests still queued when wrk stopped (one per connection at most) would slow the
    # next run: wait for them, at this run's own pace.
    time.sleep(min(60.0, CONNECTIONS / max(result["rps"], 0.1)))
    return result


def interleaved(
    server: Server,
    endpoints: list[Endpoint],
    baseline: Endpoint,
    tokens: dict[str, str],
    *,
    phase: str,
) -> None:
    """Each round: the baseline, then each endpoint followed by the baseline again. An
    endpoint's ratio in a round is its rps over the mean of the two baselines around it."""
    for round_number in range(1, ROUNDS + 1):
        before = wrk(server, baseline, tokens, SECONDS)
        baseline.runs.append(before)
        for endpoint in endpoints:
            run = wrk(server, endpoint, tokens, SECONDS)
            after = wrk(server, baseline, tokens, SECONDS)
            baseline.runs.append(after)
            run["baseline_rps"] = (before["rps"] + after["rps"]) / 2
            run["ratio"] = run["rps"] / run["baseline_rps"]
            endpoint.runs.append(run)
            progress(
                f"{phase} round {round_number}/{ROUNDS}  {endpoint.name:<22} "
                f"{run['rps']:7.1f} rps  {run['ratio']:5.2f}x baseline  "
                f"p50 {run['latency_us']['p50'] / 1000:7.1f} ms  "
                f"p99 {run['latency_us']['p99'] / 1000:7.1f} ms  {_status_note(run)}  "
                f"other load {run['other_load_cpus']:.2f} CPU"
            )
            before = after


def _status_note(run: dict[str, Any]) -> str:
    return " ".join(f"{code}x{n}" for code, n in sorted(run["statuses"].items()))


def warm_up(server: Server, endpoints: list[Endpoint], tokens: dict[str, str]) -> None:
    for endpoint in endpoints:
        wrk(server, endpoint, tokens, 1)


# The export -----------------------------------------------------------------------------


@dataclass
class Download:
    status: int | None  # None: no answer at all.
    first_byte_s: float  # From sending the request.
    last_byte_s: float
    size: int
    body: bytes  # Kept only when asked for.
    stopped: bool  # Closed on purpose before the end.
    error: str = ""  # Why the body broke off: a worker killed mid-stream, say.

    @property
    def whole(self) -> bool:
        return self.status == 200 and not self.stopped and not self.error


def download(
    url: str,
    token: str,
    *,
    keep: bool = False,
    stop: threading.Event | None = None,
    on_first_byte: threading.Event | None = None,
) -> Download:
    """GET `url` and read its body to the end as it streams in, or until `stop` is set (the
    connection is then closed, and the worker stops at its next write). A body that breaks
    off (gunicorn kills a worker busy past its `--timeout`, 30 s by default) is reported in
    `error`, not raised: the run goes on."""
    parts = urlsplit(url)
    connection = HTTPConnection(parts.hostname or "", parts.port, timeout=300)
    started = time.perf_counter()
    status, first, size, pieces, stopped, error = None, 0.0, 0, [], False, ""
    try:
        connection.request("GET", parts.path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        status = response.status
        while piece := response.read1(1 << 16):
            if not first:
                first = time.perf_counter() - started
                if on_first_byte is not None:
                    on_first_byte.set()
            size += len(piece)
            if keep:
                pieces.append(piece)
            if stop is not None and stop.is_set():
                stopped = True
                break
    except (OSError, HTTPException) as exc:
        error = f"{type(exc).__name__} after {size / 2**20:.1f} MiB: {exc}"[:300]
    finally:
        connection.close()
    last = time.perf_counter() - started
    return Download(status, first, last, size, b"".join(pieces), stopped, error)


def _reset_peaks(pids: list[int]) -> bool:
    """Start each process's VmHWM (its peak RSS) again from its RSS now: `5` to clear_refs
    (Linux 4.0 and later, and only for our own processes)."""
    try:
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _live_sessions(email: str) -> int:
    from django.db import connections

    from sessions.models import WorkoutSession

    count = WorkoutSession.objects.filter(user__email=email, deleted_at__isnull=True).count()
    connections.close_all()
    return count


def measure_export(server: Server, token: str) -> dict[str, Any]:
    """The heavy user's export, EXPORT_RUNS times in a row: time to the first and last byte,
    and the peak memory growth of the worker that streamed it (the one that grew most): each
    worker's VmHWM after the request less its RSS before, the peaks reset just before."""
    expected = _live_sessions("heavy@bench.example.com")
    runs = []
    for number in range(1, EXPORT_RUNS + 1):
        pids = server.worker_pids()
        reset = _reset_peaks(pids)
        # Without the reset, a peak from an earlier request may hide this one's.
        before = {pid: _mib(f"/proc/{pid}/status", "VmRSS" if reset else "VmHWM") for pid in pids}
        got = download(server.base + EXPORT, token, keep=number == 1)
        peaks = {pid: _mib(f"/proc/{pid}/status", "VmHWM") for pid in pids}
        error = got.error or ("" if got.status == 200 else f"answered {got.status}")
        if number == 1 and not error:  # The whole document, every live session in it.
            sessions = len(json.loads(got.body)["sessions"])
            if sessions != expected:
                raise SystemExit(f"bench: the export held {sessions} sessions, not {expected}")
        growth = max((peaks.get(p) or 0) - (before[p] or 0) for p in pids)
        runs.append(
            {
                "first_byte_s": round(got.first_byte_s, 3),
                "last_byte_s": round(got.last_byte_s, 3),
                "bytes": got.size,
                "growth_mib": round(growth, 1),
                "error": error,
                "peaks_reset": reset,
                "rss_before_mib": before,
                "peak_mib": peaks,
            }
        )
        progress(
            f"export round {number}/{EXPORT_RUNS}  {expected} sessions, {got.size / 2**20:.1f} "
            f"MiB  first byte {got.first_byte_s:.2f} s  last byte {got.last_byte_s:.2f} s  "
            f"worker grew {growth:.1f} MiB" + (f"  BROKE OFF: {error}" if error else "")
        )
    growth = max(r["growth_mib"] for r in runs)
    errors = [r["error"] for r in runs if r["error"]]
    return {
        "path": EXPORT,
        "sessions": expected,
        "bytes": max(r["bytes"] for r in runs),
        "first_byte_s": statistics.median(r["first_byte_s"] for r in runs),
        "last_byte_s": statistics.median(r["last_byte_s"] for r in runs),
        "growth_mib": growth,
        "memory_measure": "VmHWM after the request less VmRSS before it, peaks reset"
        if all(r["peaks_reset"] for r in runs)
        else "VmHWM after the request less VmHWM before it (clear_refs refused)",
        "target_mib": EXPORT_GROWTH_MIB,
        "errors": errors,
        "pass": growth <= EXPORT_GROWTH_MIB and not errors,
        "runs": runs,
    }


def _export_again_and_again(
    url: str,
    token: str,
    stop: threading.Event,
    streaming: threading.Event,
    exports: list[Download],
) -> None:
    while not stop.is_set():
        exports.append(got := download(url, token, stop=stop, on_first_byte=streaming))
        if got.error:
            time.sleep(0.5)  # A worker killed mid-stream: the master starts another.


def catalog_during_export(
    server: Server, catalog: Endpoint, baseline: Endpoint, token: str
) -> None:
    """The catalog list under wrk while the heavy user's export runs again and again on one
    connection, interleaved with the baseline as the main rows are."""
    for round_number in range(1, ROUNDS + 1):
        before = wrk(server, baseline, {}, SECONDS)
        baseline.runs.append(before)
        stop, streaming = threading.Event(), threading.Event()
        exports: list[Download] = []
        exporter = threading.Thread(
            target=_export_again_and_again,
            args=(server.base + EXPORT, token, stop, streaming, exports),
            daemon=True,
        )
        exporter.start()
        if not streaming.wait(timeout=60):
            raise SystemExit("bench: the export sent nothing within 60 s")
        run = wrk(server, catalog, {}, SECONDS)
        stop.set()
        exporter.join(timeout=120)
        time.sleep(1)  # The worker stops the export at its next write, a chunk later.
        after = wrk(server, baseline, {}, SECONDS)
        baseline.runs.append(after)
        run["baseline_rps"] = (before["rps"] + after["rps"]) / 2
        run["ratio"] = run["rps"] / run["baseline_rps"]
        run["exports_finished"] = sum(d.whole for d in exports)
        run["exports_broken"] = [d.error for d in exports if d.error]
        catalog.runs.append(run)
        progress(
            f"during export round {round_number}/{ROUNDS}  {catalog.name:<22} "
            f"{run['rps']:7.1f} rps  {run['ratio']:5.2f}x baseline  "
            f"p50 {run['latency_us']['p50'] / 1000:7.1f} ms  "
            f"p99 {run['latency_us']['p99'] / 1000:7.1f} ms  {_status_note(run)}  "
            f"exports finished {run['exports_finished']}, broke off {len(run['exports_broken'])}  "
            f"other load {run['other_load_cpus']:.2f} CPU"
        )


def export_report(
    export: dict[str, Any], summaries: dict[str, Any], during: str, alone: str
) -> dict[str, Any]:
    """The export's figures, with the catalog's ratio while it ran next to its ratio alone
    (per round, as the scale rows are)."""
    shares = [
        busy["ratio"] / quiet["ratio"]
        for busy, quiet in zip(summaries[during]["runs"], summaries[alone]["runs"], strict=False)
    ]
    return {
        **export,
        "catalog": {
            "during_export_ratio": summaries[during]["ratio"],
            "alone_ratio": summaries[alone]["ratio"],
            "share": statistics.median(shares),
            "statuses": summaries[during]["statuses"],
            "errors": summaries[during]["errors"],
            "exports_broken": [e for r in summaries[during]["runs"] for e in r["exports_broken"]],
        },
    }


# In-process measurements ----------------------------------------------------------------


def count_queries(endpoints: list[Endpoint], tokens: dict[str, str]) -> dict[str, Any]:
    """SQL queries of one request to each endpoint, through the Django test client against the
    same database, after one warm-up request. Also the in-process time of the request and the
    share of it spent waiting on SQL, which point at where an endpoint's time goes."""
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    found: dict[str, Any] = {}
    for endpoint in endpoints:

        def call(endpoint: Endpoint = endpoint) -> Any:
            headers = {}
            if endpoint.user is not None:
                headers["Authorization"] = f"Bearer {tokens[endpoint.user]}"
            if endpoint.if_none_match is not None:
                headers["If-None-Match"] = endpoint.if_none_match
            if endpoint.body is not None:
                body = endpoint.body.read_text().replace("{{id}}", str(uuid.uuid4()))
                return client.post(
                    endpoint.path, body, content_type="application/json", headers=headers
                )
            return client.get(endpoint.path, headers=headers)

        call()
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            call()
            timings.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = call()
            elapsed = time.perf_counter() - started
        sql_seconds = sum(float(q["time"]) for q in captured.captured_queries)
        found[endpoint.name] = {
            "queries": len(captured),
            "status": response.status_code,
            "response_bytes": len(response.content),
            "in_process_ms": round(statistics.median(timings) * 1000, 2),
            "sql_ms": round(sql_seconds * 1000, 2),
            "sql_share": round(sql_seconds / elapsed, 2) if elapsed else None,
            "sql": [
                {"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:400]}
                for q in captured.captured_queries
            ],
        }
    connections.close_all()
    return found


# Data -----------------------------------------------------------------------------------


def build_small_catalog(rng: random.Random) -> None:
    from django.db import connections

    from bench import data

    data.grow_catalog(SMALL_CATALOG, rng)
    data.analyze()
    connections.close_all()


def build_full_data(rng: random.Random, password: str) -> dict[str, Any]:
    from django.db import connections

    from bench import data

    total = data.grow_catalog(EXERCISES, rng)
    progress(f"data: {total} exercises, with steps, cues, cautions, muscles and options")
    users = [
        data.BenchUser("heavy@bench.example.com", HEAVY_SESSIONS, timedelta(hours=1)),
        data.BenchUser("light@bench.example.com", LIGHT_SESSIONS, timedelta(days=1)),
        data.BenchUser("uploader@bench.example.com", LIGHT_SESSIONS, timedelta(days=1)),
        data.BenchUser("hooked@bench.example.com", LIGHT_SESSIONS, timedelta(days=1)),
        *(
            data.BenchUser(f"other{n}@bench.example.com", OTHER_SESSIONS, timedelta(hours=4))
            for n in range(OTHER_USERS)
        ),
    ]
    for spec in users:
        data.add_user(spec, password, rng)
        progress(f"data: {spec.email}, {spec.sessions} sessions of {data.SETS_PER_SESSION} sets")
    data.add_webhook_endpoints("hooked@bench.example.com", WEBHOOK_ENDPOINTS)
    progress(f"data: hooked, {WEBHOOK_ENDPOINTS} webhook endpoints subscribed to its sessions")
    for trainer, clients in TRAINERS.items():
        data.add_coached_clients(
            f"{trainer}@bench.example.com", clients, CLIENT_SESSIONS, password, rng
        )
        progress(
            f"data: {trainer}, {clients} clients of {CLIENT_SESSIONS} sessions, a program each"
        )
    data.analyze()
    from exercises.models import Exercise
    from sessions.models import SetLog, WorkoutSession

    volume = {
        "exercises": Exercise.objects.count(),
        "sessions": WorkoutSession.objects.count(),
        "sets": SetLog.objects.count(),
        "users": {spec.email.split("@")[0]: spec.sessions for spec in users},
    }
    connections.close_all()
    return volume


def upload_body(folder: Path) -> Path:
    """A session of ten sets over published exercises, the id left for wrk to fill in."""
    from exercises.models import Exercise

    slugs = list(
        Exercise.objects.filter(published=True).order_by("slug").values_list("slug", flat=True)[:5]
    )
    started = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)
    body = {
        "id": "{{id}}",
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=20)).isoformat(),
        "perceived_effort": 4,
        "notes": "Benchmark upload.",
        "sets": [
            {
                "exercise": slugs[n // 2],
                "side": "left" if n % 2 == 0 else "right",
                "reps": 10,
                "pain": n % 3,
            }
            for n in range(UPLOAD_SETS)
        ],
    }
    path = folder / "upload.json"
    path.write_text(json.dumps(body))
    return path


# Report ---------------------------------------------------------------------------------


def summarise(endpoint: Endpoint) -> dict[str, Any]:
    runs = endpoint.runs
    statuses: dict[str, int] = {}
    for run in runs:
        for code, n in run["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    summary: dict[str, Any] = {
        "method": endpoint.method,
        "path": endpoint.path,
        "user": endpoint.user,
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["latency_us"]["p50"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["latency_us"]["p99"] for r in runs) / 1000,
        "requests": sum(r["requests"] for r in runs),
        "statuses": statuses,
        "errors": {
            kind: sum(r["errors"][kind] for r in runs)
            for kind in ("connect", "read", "write", "status", "timeout")
        },
        "runs": runs,
    }
    if runs and "ratio" in runs[0]:
        summary["ratio"] = statistics.median(r["ratio"] for r in runs)
    if endpoint.target is not None:
        summary["target"] = endpoint.target
        summary["pass"] = summary["ratio"] >= endpoint.target
    notes = [endpoint.note] if endpoint.note else []
    if summary["requests"] < 30:
        notes.append(f"only {summary['requests']} requests in all: coarse")
    if notes:
        summary["note"] = "; ".join(notes)
    return summary


def scale(small: dict[str, Any], large: dict[str, Any], what: str) -> dict[str, Any]:
    """How much slower the large case is: the small case's ratio to the baseline over the
    large case's, per round, so each comes from the same stretch of the run."""
    slowdowns = [
        low["ratio"] / high["ratio"]
        for low, high in zip(small["runs"], large["runs"], strict=False)
    ]
    slowdown = statistics.median(slowdowns)
    return {
        "what": what,
        "slowdown": slowdown,
        "p50_ratio": large["p50_ms"] / small["p50_ms"] if small["p50_ms"] else None,
        "target": 1.5,
        "pass": slowdown <= 1.5,
    }


def write_ceiling(authenticated: dict[str, Any], write: dict[str, Any]) -> dict[str, Any]:
    """An estimate of the most an authenticated request that commits a write can reach.

    A ratio r means a request keeps a worker busy 1/r times as long as the baseline does.
    Such a request does at least what a private 304 does (the token, the caller's row, DRF)
    and what committing one write adds to the bare view (durable-write's time less the
    baseline's): 1/r >= 1/r_304 + (1/r_write - 1). It assumes the workers' time is what
    limits requests per second, not a lock that writes queue for; durable-write gives each
    worker a row of its own so that it does not. Computed per round, as the ratios are.
    """
    ceilings = [
        1 / (1 / auth["ratio"] + 1 / saved["ratio"] - 1)
        for auth, saved in zip(authenticated["runs"], write["runs"], strict=True)
    ]
    return {
        "ratio": statistics.median(ceilings),
        "rounds": [round(c, 3) for c in ceilings],
        "from": ["session-list-304", "durable-write"],
    }


def webhook_cost(plain: dict[str, Any], hooked: dict[str, Any]) -> dict[str, Any]:
    """How much slower an upload is when webhook endpoints hear of it: one less the hooked
    ratio over the plain one, per round, as the rows ran next to each other."""
    costs = [
        1 - told["ratio"] / alone["ratio"]
        for alone, told in zip(plain["runs"], hooked["runs"], strict=True)
    ]
    cost = statistics.median(costs)
    return {
        "cost": cost,
        "rounds": [round(c, 3) for c in costs],
        "endpoints": WEBHOOK_ENDPOINTS,
        "target": WEBHOOK_COST_TARGET,
        "pass": cost <= WEBHOOK_COST_TARGET,
    }


def print_table(report: dict[str, Any]) -> None:
    rows = report["endpoints"]
    print()
    print(f"hipflex_api benchmark, {report['meta']['database']}, {report['meta']['timestamp']}")
    header = (
        f"{'endpoint':<22} {'rps':>8} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'q/req':>5} {'target':>7}  result"
    )
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        queries = report["queries"].get(name, {}).get("queries", "")
        target = f">={row['target']:.2f}" if "target" in row else ""
        result = ("pass" if row["pass"] else "FAIL") if "pass" in row else ""
        if row.get("note"):
            result += f"  ({row['note']})"
        ratio = f"{row['ratio']:.2f}" if "ratio" in row else "1.00"
        print(
            f"{name:<22} {row['rps']:8.1f} {ratio:>6} {row['p50_ms']:8.1f} "
            f"{row['p99_ms']:8.1f} {queries!s:>5} {target:>7}  {result}"
        )
    print()
    header = f"{'scale':<44} {'slowdown':>8} {'p50 x':>6} {'target':>7}  result"
    print(header)
    print("-" * len(header))
    for item in report["scale"].values():
        p50 = f"{item['p50_ratio']:.2f}" if item["p50_ratio"] else ""
        result = "pass" if item["pass"] else "FAIL"
        print(f"{item['what']:<44} {item['slowdown']:8.2f} {p50:>6} {'<=1.50':>7}  {result}")
    print_export(report["export"])
    ceiling = report["write_ceiling"]["ratio"]
    hooks = report["webhook_cost"]
    print()
    print(
        f"an upload told to {hooks['endpoints']} webhook endpoints: {hooks['cost']:+.1%} slower "
        f"(target <= {hooks['target']:.0%}): {'pass' if hooks['pass'] else 'FAIL'}"
    )
    print(
        f"estimated ceiling for an authenticated write, before any parsing or validation: "
        f"{ceiling:.2f} (session-list-304 plus what durable-write adds to the baseline)"
    )
    print()
    header = (
        f"{'hot path switched off':<22} {'row':<18} {'ratio':>6} {'plain':>6} {'gain':>7}  where"
    )
    print(header)
    print("-" * len(header))
    for name, trick in report["hot_paths"].items():
        for row, gain in trick["rows"].items():
            on, off = gain["ratio"], gain["plain_ratio"]
            if "last_byte_s" in gain:  # Seconds to the last byte, for the export.
                on, off = gain["last_byte_s"], gain["plain_last_byte_s"]
            print(
                f"{name:<22} {row:<18} {on:6.2f} {off:6.2f} {gain['gain']:+7.1%}  {trick['where']}"
            )
    memory = report["memory"]
    workers = ", ".join(f"{w['rss_mib']} MiB RSS ({w['pss_mib']} PSS)" for w in memory["workers"])
    print()
    print(f"memory after load: workers {workers}; master {memory['master']['rss_mib']} MiB RSS")
    print(f"non-2xx/3xx answers: {report['non_success'] or 'none'}")
    if report["meta"]["code_changed_during_run"]:
        print("WARNING: the app's code changed during the run; these numbers mix two versions")
    noisy = report["noisy_runs"]
    print(
        f"runs with other load over {NOISY_CPUS} CPU (a shared machine): "
        + (", ".join(f"{name} x{n}" for name, n in noisy.items()) or "none")
    )


def print_export(export: dict[str, Any]) -> None:
    print()
    header = (
        f"{'export-heavy':<22} {'sessions':>8} {'MiB':>6} {'1st byte':>9} {'last byte':>9} "
        f"{'growth':>8} {'target':>7}  result"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{export['path']:<22} {export['sessions']:8d} {export['bytes'] / 2**20:6.1f} "
        f"{export['first_byte_s']:8.2f}s {export['last_byte_s']:8.2f}s "
        f"{export['growth_mib']:5.1f}MiB {'<=' + str(export['target_mib']):>7}  "
        f"{'pass' if export['pass'] else 'FAIL'}"
    )
    for error in export["errors"]:
        print(f"  broke off: {error}")
    print(
        f"(times: medians of {len(export['runs'])} runs; growth: the largest, as "
        f"{export['memory_measure']})"
    )
    catalog = export["catalog"]
    print(
        f"catalog-list while exports run: ratio {catalog['during_export_ratio']:.2f}, alone "
        f"{catalog['alone_ratio']:.2f} ({catalog['share']:.0%} of it); answers "
        + " ".join(f"{code}x{n}" for code, n in sorted(catalog["statuses"].items()))
        + (f", errors {catalog['errors']}" if any(catalog["errors"].values()) else "")
        + (
            f"; exports broke off {len(catalog['exports_broken'])}x"
            if catalog["exports_broken"]
            else ""
        )
    )


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = {k: v for k, v in report["endpoints"].items() if k != "baseline"}
    names = list(rows)
    figure, (ratios, latency, scales) = plt.subplots(
        3, 1, figsize=(10, 13), gridspec_kw={"height_ratios": [3, 3, 1.4]}
    )
    colours = [
        "tab:gray" if "pass" not in rows[n] else ("tab:green" if rows[n]["pass"] else "tab:red")
        for n in names
    ]
    positions = range(len(names))
    ratios.barh(positions, [rows[n]["ratio"] for n in names], color=colours)
    for y, name in enumerate(names):
        if "target" in rows[name]:
            ratios.plot([rows[name]["target"]] * 2, [y - 0.4, y + 0.4], color="black", lw=2)
    ratios.set_yticks(list(positions), names)
    ratios.invert_yaxis()
    ratios.axvline(1.0, color="tab:blue", ls="--", lw=1)
    ratios.set_xlabel("requests per second, as a share of the baseline's (black: target)")
    ratios.set_title(
        f"hipflex_api under wrk, {report['meta']['database_vendor']}, "
        f"{report['meta']['workers']} workers, {report['meta']['connections']} connections"
    )
    everything = ["baseline", *names]
    lat_positions = range(len(everything))
    p50 = [report["endpoints"][n]["p50_ms"] for n in everything]
    p99 = [report["endpoints"][n]["p99_ms"] for n in everything]
    latency.barh([y + 0.2 for y in lat_positions], p99, height=0.4, label="p99", color="tab:orange")
    latency.barh([y - 0.2 for y in lat_positions], p50, height=0.4, label="p50", color="tab:blue")
    latency.set_yticks(list(lat_positions), everything)
    latency.invert_yaxis()
    latency.set_xscale("log")
    latency.set_xlabel("latency, ms (log scale)")
    latency.legend()
    items = list(report["scale"].values())
    scales.barh(
        range(len(items)),
        [i["slowdown"] for i in items],
        color=["tab:green" if i["pass"] else "tab:red" for i in items],
    )
    scales.axvline(1.5, color="black", lw=2)
    scales.set_yticks(list(range(len(items))), [i["what"] for i in items])
    scales.invert_yaxis()
    scales.set_xlabel("slowdown of the large case (black: the 1.5x limit)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


# Main -----------------------------------------------------------------------------------


def set_up_django(database_url: str) -> tuple[str, str]:
    """Django in this process, on the throwaway database, migrated: the code's fingerprint and
    the database's vendor."""
    os.environ.update(production_env(database_url))
    sys.path.insert(0, str(ROOT))
    import django

    warnings.filterwarnings("ignore", "No directory at")
    fingerprint = code_fingerprint()
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import get_resolver

    # Import every view now, as the workers are about to, so that in-process query counts
    # run the same code as the server even if someone edits it during the run.
    get_resolver().url_patterns  # noqa: B018
    call_command("migrate", verbosity=0, interactive=False)
    return fingerprint, connection.vendor


def log_in(server: Server, password: str) -> dict[str, str]:
    tokens = {}
    # The many-client trainer's first client is the one whose plan is asked for.
    for user in ("heavy", "light", "uploader", "hooked", *TRAINERS, "coach-client0"):
        status, _, body = http(
            server.base + "/api/v1/auth/token/",
            method="POST",
            body={"email": f"{user}@bench.example.com", "password": password},
        )
        if status != 200:
            raise SystemExit(f"bench: login as {user} answered {status}: {body[:300]!r}")
        tokens[user] = json.loads(body)["access"]
    return tokens


def current_etag(server: Server, path: str, token: str | None = None) -> str:
    """The ETag `server` gives `path`, checked to get a 304 back: a conditional row must not
    measure full answers under a 304's name. (ETags name the absolute URL, so each server
    has its own.)"""
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    _, headers, _ = http(server.base + path, headers=auth)
    etag = {k.lower(): v for k, v in headers.items()}.get("etag", "")
    status, _, _ = http(server.base + path, headers={**auth, "If-None-Match": etag})
    if status != 304:
        raise SystemExit(f"bench: {path} with its ETag got {status}, not 304")
    return etag


@dataclass(frozen=True)
class Workload:
    """What the main rows ask for, worked out once from the data."""

    detail_slug: str
    upload: Path

    @classmethod
    def of(cls, scratch: Path) -> "Workload":
        from exercises.models import Exercise

        # One from the middle of the catalog with every list filled, options included.
        with_options = Exercise.objects.filter(published=True, milder_options__isnull=False)
        slugs = list(with_options.order_by("slug").values_list("slug", flat=True))
        return cls(detail_slug=slugs[len(slugs) // 2], upload=upload_body(scratch))

    def endpoints(self, server: Server, tokens: dict[str, str]) -> list[Endpoint]:
        catalog_etag = current_etag(server, "/api/v1/exercises/")
        private_etag = current_etag(server, "/api/v1/sessions/", tokens["heavy"])
        detail = f"/api/v1/exercises/{self.detail_slug}/"
        return [
            Endpoint("catalog-list", "GET", "/api/v1/exercises/", target=0.60),
            Endpoint("exercise-detail", "GET", detail, target=0.70),
            Endpoint(
                "catalog-304", "GET", "/api/v1/exercises/", target=0.85, if_none_match=catalog_etag
            ),
            Endpoint("session-list-heavy", "GET", "/api/v1/sessions/", "heavy", target=0.30),
            # The least an authenticated request does: the token, the caller's row, a 304.
            Endpoint(
                "session-list-304", "GET", "/api/v1/sessions/", "heavy", if_none_match=private_etag
            ),
            Endpoint(
                "session-upload", "POST", "/api/v1/sessions/", "uploader", 0.30, body=self.upload
            ),
            # The same upload, told to the user's webhook endpoints: an event, its deliveries
            # and a job handed to the broker, the sending left to workers.
            Endpoint(
                "session-upload-hooked",
                "POST",
                "/api/v1/sessions/",
                "hooked",
                body=self.upload,
                note=f"session-upload told to {WEBHOOK_ENDPOINTS} webhook endpoints",
            ),
            # The most any saving endpoint could reach: a bare view committing one UPDATE.
            Endpoint(
                "durable-write",
                "POST",
                "/bench/durable-write/",
                body=self.upload,
                note="reference: one committed UPDATE, nothing else",
            ),
            Endpoint("sync-page-heavy", "GET", SYNC_PAGE, "heavy", target=0.30),
            Endpoint("stats-heavy", "GET", "/api/v1/me/stats/", "heavy", target=0.30),
            Endpoint("session-list-light", "GET", "/api/v1/sessions/", "light"),
            Endpoint("sync-page-light", "GET", SYNC_PAGE, "light"),
            Endpoint("stats-light", "GET", "/api/v1/me/stats/", "light"),
            Endpoint("clients-many", "GET", CLIENTS, "coach", target=0.30),
            Endpoint("clients-few", "GET", CLIENTS, "coach-few"),
            Endpoint("review-many", "GET", REVIEW, "coach", target=0.30),
            Endpoint("review-few", "GET", REVIEW, "coach-few"),
            Endpoint("plan-today", "GET", "/api/v1/me/plan/", "coach-client0", target=0.30),
        ]


def measure_hot_paths(
    scratch: Path,
    workload: Workload,
    tokens: dict[str, str],
    main: dict[str, Endpoint],
    export: dict[str, Any],
) -> dict[str, Any]:
    """Each trick of bench/plain.py switched off on a server of its own, the rows it serves
    measured as the main phase measured them; its gain is the main ratio over this one (for
    export-heavy, the plain export's last byte over the main one's: the time it saves)."""
    from bench.plain import TRICKS

    found: dict[str, Any] = {}
    for name, trick in TRICKS.items():
        server = Server(scratch / f"plain-{name}.log", plain=name)
        server.start()
        gains: dict[str, Any] = {}
        try:
            baseline = Endpoint("baseline", "GET", "/bench/baseline/")
            rows = [e for e in workload.endpoints(server, tokens) if e.name in trick.rows]
            if rows:
                warm_up(server, [baseline, *rows], tokens)
                interleaved(server, rows, baseline, tokens, phase=f"plain {name}")
                for row in rows:
                    gains[row.name] = _gain(
                        summarise(main[row.name])["ratio"], summarise(row)["ratio"]
                    )
            if "export-heavy" in trick.rows:
                plain = measure_export(server, tokens["heavy"])
                gains["export-heavy"] = {
                    **_gain(1 / export["last_byte_s"], 1 / plain["last_byte_s"]),
                    "last_byte_s": export["last_byte_s"],
                    "plain_last_byte_s": plain["last_byte_s"],
                    "plain_growth_mib": plain["growth_mib"],
                    "plain_errors": plain["errors"],
                }
        finally:
            server.stop()
        found[name] = {"where": trick.where, "what": trick.what, "rows": gains}
    return found


def _gain(on: float, off: float) -> dict[str, Any]:
    return {"ratio": on, "plain_ratio": off, "gain": on / off - 1}


def scales_of(summaries: dict[str, Any], small: str) -> dict[str, Any]:
    pairs = {
        "session-list": (
            "session-list",
            f"session list, {HEAVY_SESSIONS} vs {LIGHT_SESSIONS} sessions",
        ),
        "sync-page": ("sync-page", f"sync page, {HEAVY_SESSIONS} vs {LIGHT_SESSIONS} sessions"),
        "stats": ("stats", f"stats, {HEAVY_SESSIONS} vs {LIGHT_SESSIONS} sessions"),
    }
    found = {
        key: scale(summaries[f"{row}-light"], summaries[f"{row}-heavy"], what)
        for key, (row, what) in pairs.items()
    }
    for row, what in (("clients", "client list"), ("review", "review queue")):
        found[row] = scale(
            summaries[f"{row}-few"],
            summaries[f"{row}-many"],
            f"{what}, {COACHED_CLIENTS} vs {FEW_CLIENTS} clients of {CLIENT_SESSIONS} sessions",
        )
    found["catalog-list"] = scale(
        summaries[small],
        summaries["catalog-list"],
        f"catalog list, {EXERCISES} vs {SMALL_CATALOG} exercises",
    )
    return found


def meta(stamp: str, description: str, vendor: str, fingerprint: str, volume: Any) -> dict:
    import django

    changed = code_fingerprint() != fingerprint
    if changed:
        progress("WARNING: app code changed during the run; the numbers mix two versions")
    return {
        "timestamp": stamp,
        "database": description.split(" (")[0],
        "database_vendor": vendor,
        "commit": _commit(),
        "code_fingerprint": fingerprint,
        "code_changed_during_run": changed,
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "workers": WORKERS,
        "worker_class": "sync",
        "connections": CONNECTIONS,
        "wrk_threads": 1,
        "seconds_per_run": SECONDS,
        "rounds": ROUNDS,
        "cpus": os.cpu_count(),
        "volume": volume,
        "small_catalog": SMALL_CATALOG,
        "upload_sets": UPLOAD_SETS,
        "elapsed_seconds": round(progress.elapsed, 1),
    }


def build_report(
    measured: list[Endpoint], queries: dict[str, Any], memory: dict[str, Any], small: str
) -> dict[str, Any]:
    """The endpoints' summaries and what follows from them: scale, the write ceiling, the
    answers that were not 2xx or 3xx, and the noisy runs."""
    summaries = {e.name: summarise(e) for e in measured}
    non_success = {
        name: {c: n for c, n in s["statuses"].items() if not c.startswith(("2", "3"))}
        for name, s in summaries.items()
    }
    return {
        "endpoints": summaries,
        "scale": scales_of(summaries, small),
        "write_ceiling": write_ceiling(summaries["session-list-304"], summaries["durable-write"]),
        "webhook_cost": webhook_cost(
            summaries["session-upload"], summaries["session-upload-hooked"]
        ),
        "queries": queries,
        "memory": memory,
        "non_success": {k: v for k, v in non_success.items() if v},
        "noisy_runs": {
            name: n
            for name, s in summaries.items()
            if (n := sum(r["other_load_cpus"] > NOISY_CPUS for r in s["runs"]))
        },
    }


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is missing; `make bench` installs it (apt-get install wrk)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    rng = random.Random(SEED)  # noqa: S311 - repeatable data, not secrets
    random.seed(SEED)
    password = secrets.token_urlsafe(18)
    with (
        throwaway_database() as (database_url, description),
        throwaway_broker(),
        tempfile.TemporaryDirectory(prefix="hipflex-bench-") as folder,
    ):
        scratch = Path(folder)
        fingerprint, vendor = set_up_django(database_url)
        progress(f"database: {description}, migrated")
        build_small_catalog(rng)
        progress(f"data: {SMALL_CATALOG} exercises (the small catalog)")
        server = Server(scratch / "server.log")
        server.start()
        progress(f"server: gunicorn, {WORKERS} sync workers at {server.base}, DEBUG off")
        try:
            baseline = Endpoint("baseline", "GET", "/bench/baseline/")
            small = Endpoint(f"catalog-list-{SMALL_CATALOG}", "GET", "/api/v1/exercises/")
            warm_up(server, [baseline, small], {})
            interleaved(server, [small], baseline, {}, phase="small catalog")
            volume = build_full_data(rng, password)
            tokens = log_in(server, password)
            progress(
                "tokens: the bench users and the trainers logged in through /api/v1/auth/token/"
            )
            workload = Workload.of(scratch)
            endpoints = workload.endpoints(server, tokens)
            queries = count_queries([baseline, small, *endpoints], tokens)
            progress(
                "queries per request: "
                + ", ".join(f"{n} {q['queries']}" for n, q in queries.items())
            )
            warm_up(server, [baseline, *endpoints], tokens)
            progress("warmed up: one second of each endpoint")
            interleaved(server, endpoints, baseline, tokens, phase="main")
            memory = server.worker_memory()
            progress("memory: " + ", ".join(f"{w['rss_mib']} MiB" for w in memory["workers"]))
            export = measure_export(server, tokens["heavy"])
            during = Endpoint(
                "catalog-during-export",
                "GET",
                "/api/v1/exercises/",
                note="while the heavy user's export runs, one after another",
            )
            catalog_during_export(server, during, baseline, tokens["heavy"])
        finally:
            server.stop()
        hot_paths = measure_hot_paths(
            scratch, workload, tokens, {e.name: e for e in endpoints}, export
        )
        report = build_report([baseline, *endpoints, small, during], queries, memory, small.name)
        report["export"] = export_report(export, report["endpoints"], during.name, "catalog-list")
        report["hot_paths"] = hot_paths
        report["meta"] = meta(stamp, description, vendor, fingerprint, volume)
        report["server_log_tail"] = server.log.read_text()[-4000:] if server.log.exists() else ""
    name = f"{stamp}-{vendor}"
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2, default=str))
    chart(report, RESULTS / f"{name}.png")
    progress(f"results: {RESULTS.relative_to(ROOT)}/{name}.json and .png")
    print_table(report)


def code_fingerprint() -> str:
    """A hash of the app's Python files, to tell whether they changed while the run went on:
    the workers loaded them at the start, so numbers from either side of a change mix code."""
    digest = hashlib.sha256()
    for folder in ("hipflex_api", "exercises", "sessions"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - read-only
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


if __name__ == "__main__":
    main()
