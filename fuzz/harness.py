"""Small steps fuzz/run needs that bash does badly: ports, throwaway databases, logging in.

Usage: python fuzz/harness.py free-port
       python fuzz/harness.py fuzz-db-url DATABASE_URL NAME   (same server, database NAME)
       python fuzz/harness.py create-db URL | drop-db URL
       python fuzz/harness.py wait BASE_URL SECONDS
       python fuzz/harness.py token BASE_URL EMAIL PASSWORD   (registers, logs in, prints access)
"""

import json
import socket
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fuzz_db_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _maintenance(url: str) -> tuple[str, str]:
    """A connection string for the server's `postgres` database, and the database to manage."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.isidentifier():
        raise SystemExit(f"refusing to manage database {name!r}")
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), name


def create_db(url: str) -> None:
    import psycopg

    dsn, name = _maintenance(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_db(url: str) -> None:
    import psycopg

    dsn, name = _maintenance(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _post(url: str, body: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - the URL is the loopback server fuzz/run started
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def wait(base_url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/api/v1/exercises/", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the server at {base_url} did not answer within {seconds}s")
        time.sleep(0.3)


def token(base_url: str, email: str, password: str) -> str:
    status, body = _post(
        f"{base_url}/api/v1/auth/register/", {"email": email, "password": password}
    )
    if status != 202:
        raise SystemExit(f"register {email}: {status} {body}")
    status, body = _post(f"{base_url}/api/v1/auth/token/", {"email": email, "password": password})
    if status != 200:
        raise SystemExit(f"log in {email}: {status} {body}")
    return body["access"]


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "free-port":
        print(free_port())
    elif command == "fuzz-db-url":
        print(fuzz_db_url(*args))
    elif command == "create-db":
        create_db(*args)
    elif command == "drop-db":
        drop_db(*args)
    elif command == "wait":
        wait(args[0], float(args[1]))
    elif command == "token":
        print(token(*args))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
