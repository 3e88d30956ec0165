"""A phone, as the load and fault tests drive one against a real server over HTTP: it logs
in, uploads sessions (retrying some, with the same id or Idempotency-Key), edits with
If-Match, deletes, and syncs; told a 503 it may retry, it waits Retry-After and sends the
same request again, as the apps do. It remembers what the server acknowledged."""

import json
import random
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from typing import Any

from tests.conftest import SESSIONS_URL, SYNC_URL, TOKEN_URL, session_url

PASSWORD = "load-test-password-42"
# The 503s that say nothing was saved and to send the request again after Retry-After.
RETRIED = {"database_busy", "database_unavailable"}


class Phone:
    """One client: what it sent, what the server acknowledged, and every status it saw."""

    def __init__(self, base: str, email: str, exercise: str) -> None:
        self.base, self.exercise = base, exercise
        self.email = email
        self.statuses: Counter[int] = Counter()
        self.answered: list[tuple[float, int]] = []  # (time.monotonic(), status) of each.
        self.waited = 0  # 503s waited out and sent again.
        self.live: dict[str, dict[str, Any]] = {}  # id -> (notes, sets) acknowledged
        self.deleted: set[str] = set()
        self.etags: dict[str, str] = {}
        token = self.call("POST", TOKEN_URL, {"email": email, "password": PASSWORD})
        self.token = token[1]["access"]

    def call(
        self, method: str, path: str, body: Any = None, *, retry: bool = True, **headers: str
    ) -> tuple[int, Any, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
                status, raw, head = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, head = error.code, error.read(), error.headers
        self.statuses[status] += 1
        self.answered.append((time.monotonic(), status))
        data = json.loads(raw) if raw else None
        if retry and status == 503 and data["code"] in RETRIED:
            # Nothing was saved: wait as told, and send it again.
            self.waited += 1
            time.sleep(int(head["Retry-After"]))
            return self.call(method, path, body, **headers)
        return status, data, head

    def upload(self, rng: random.Random) -> None:
        session_id = str(uuid.uuid4())
        body = {
            "id": session_id,
            "started_at": "2026-03-01T07:00:00Z",
            "notes": f"upload {session_id[:8]}",
            "sets": [
                {"exercise": self.exercise, "side": side, "reps": 10}
                for side in ("left", "right")[: rng.randint(1, 2)]
            ],
        }
        headers = {"Idempotency_Key": f"key-{session_id}"} if rng.random() < 0.5 else {}
        for _ in range(rng.randint(1, 3)):  # Retries, as after a lost answer.
            status, data, head = self.call("POST", SESSIONS_URL, body, **headers)
            assert status in {200, 201}, (status, data)
        self.live[session_id] = {"notes": body["notes"], "sets": len(body["sets"])}
        self.etags[session_id] = head["ETag"]

    def edit(self, rng: random.Random) -> None:
        session_id = rng.choice(list(self.live))
        notes = f"edited {rng.randint(0, 10**6)}"
        stale = rng.random() < 0.3
        etag = '"0"' if stale else self.etags[session_id]
        status, data, head = self.call(
            "PATCH", session_url(session_id), {"notes": notes}, If_Match=etag
        )
        if stale:
            assert status == 412, (status, data)
            return
        assert status == 200, (status, data)
        self.live[session_id]["notes"] = notes
        self.etags[session_id] = head["ETag"]

    def delete(self, rng: random.Random) -> None:
        session_id = rng.choice(list(self.live))
        for _ in range(rng.randint(1, 2)):
            status, data, _ = self.call("DELETE", session_url(session_id))
            assert status == 204, (status, data)
        del self.live[session_id]
        self.deleted.add(session_id)

    def run(self, seed: int, until: float, *, edits: bool = True) -> None:
        """Uploads, edits with If-Match and deletes, until `until`. Without `edits`, only what
        a retry cannot turn into a refusal: an edit whose answer was lost changed the ETag, so
        its retry would be a 412 the app resolves by reading the session again."""
        rng = random.Random(seed)  # noqa: S311 - a replayable simulation, not a secret
        while time.monotonic() < until:
            roll = rng.random()
            if not self.live or roll < 0.6:
                self.upload(rng)
            elif roll < 0.9 and edits:
                self.edit(rng)
            else:
                self.delete(rng)

    def sync(self) -> tuple[dict[str, dict[str, Any]], set[str]]:
        live: dict[str, dict[str, Any]] = {}
        deleted: set[str] = set()
        since = None
        while True:
            path = f"{SYNC_URL}?limit=50" + (f"&since={since}" if since else "")
            status, page, _ = self.call("GET", path)
            assert status == 200
            for session in page["sessions"]:
                live[session["id"]] = {"notes": session["notes"], "sets": len(session["sets"])}
            for tombstone in page["deleted_sessions"]:
                deleted.add(tombstone["id"])
                live.pop(tombstone["id"], None)
            since = page["next_cursor"]
            if not page["has_more"]:
                return live, deleted
