"""Small steps fuzz/run needs that bash does badly: ports, throwaway databases, logging in.

Usage: python fuzz/harness.py free-port
       python fuzz/harness.py fuzz-db-url DATABASE_URL NAME   (same server, database NAME)
       python fuzz/harness.py create-db URL | drop-db URL
       python fuzz/harness.py wait BASE_URL SECONDS
       python fuzz/harness.py token BASE_URL EMAIL PASSWORD   (registers, logs in, prints access)
       python fuzz/harness.py oauth-token BASE_URL CLIENT_ID REDIRECT_URI EMAIL PASSWORD
           (an app's access token for that person, every scope: authorization code with PKCE,
           signed in and consented on the server's own pages, as a person would)
"""

import base64
import hashlib
import json
import secrets
import socket
import sys
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit


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


class _HiddenFields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[found["name"] or ""] = found.get("value") or ""


def _hidden_fields(page: str) -> dict[str, str]:
    parser = _HiddenFields()
    parser.feed(page)
    return parser.fields


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # Each redirect is the flow's next step, read by the caller.


class _Browser:
    """Just enough of a browser for the consent pages: its cookies, whatever their flags, as
    the server takes itself to be behind an HTTPS proxy (X-Forwarded-Proto) and marks them
    Secure; the origin it says it comes from, for the CSRF checks; no redirect followed."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.origin = "https://" + urlsplit(base_url).netloc
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirects)

    def go(self, url: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """The status, the Location (absolute) and the body of one request."""
        headers = {"X-Forwarded-Proto": "https", "Origin": self.origin, "Referer": self.origin}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        url = urljoin(self.base_url, url)  # The loopback server fuzz/run started.
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=15) as response:
                status, answer, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, answer, body = exc.code, exc.headers, exc.read()
        for cookie in answer.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        location = answer.get("Location", "")
        return status, urljoin(self.base_url, location) if location else "", body.decode()


def _expect(step: str, status: int, wanted: int, body: str) -> None:
    if status != wanted:
        raise SystemExit(f"oauth-token, {step}: {status}, not {wanted}: {body[:500]}")


def oauth_token(base_url: str, client_id: str, redirect_uri: str, email: str, password: str) -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "catalog:read sessions:read sessions:write stats:read profile:read pain:read",
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    browser = _Browser(base_url)
    status, sign_in, body = browser.go("/o/authorize/?" + urlencode(query))
    _expect("authorize", status, 302, body)
    status, _, page = browser.go(sign_in)
    _expect("sign-in page", status, 200, page)
    form = {**_hidden_fields(page), "username": email, "password": password}
    status, back, body = browser.go(sign_in, form)
    _expect("sign in", status, 302, body)
    status, _, page = browser.go(back)
    _expect("consent page", status, 200, page)
    form = {**_hidden_fields(page), "allow": "Authorize", "health": "on"}
    status, callback, body = browser.go("/o/authorize/", form)
    _expect("consent", status, 302, body)
    answer = parse_qs(urlsplit(callback).query)
    if answer.get("state") != [query["state"]] or "code" not in answer:
        raise SystemExit(f"oauth-token: the app was sent back to {callback}")
    exchange = {
        "grant_type": "authorization_code",
        "code": answer["code"][0],
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    status, _, body = browser.go("/o/token/", exchange)
    _expect("token", status, 200, body)
    return str(json.loads(body)["access_token"])


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
    elif command == "oauth-token":
        print(oauth_token(*args))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
