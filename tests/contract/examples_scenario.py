"""Ann's day with hipflex, and her trainer's: every operation of openapi.yaml called in its
success case, as a phone app or a trainer would call it, in-process through DRF's APIClient
against the seed catalog, with the clock frozen at set times of one day.

`play_the_day()` records the first exchange of each operation, keyed by its operationId; an
operation with a second success status (a retried upload's 200 after its 201) has that
exchange too, under `operationId@status`. tests/contract/test_examples.py compares them with
the files that openapi.yaml's `recorded` examples come from (hipflex_api/schema_examples.py),
or writes those files.
"""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import time_machine
from django.core import mail
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.response import Response
from rest_framework.test import APIClient

from exercises.models import Exercise
from hipflex_api.accounts.models import CoachingLink, PersonalToken, User
from hipflex_api.accounts.serializers import token_pair_for
from hipflex_api.webhooks import addresses, sending
from hipflex_api.webhooks.models import Delivery, Endpoint, Event
from sessions.models import Assignment
from tests.conftest import (
    EMAIL_CHANGE_URL,
    EXERCISES_URL,
    ME_URL,
    REFRESH_URL,
    REGISTER_URL,
    RESEND_URL,
    RESET_CONFIRM_URL,
    RESET_URL,
    ROUTINES_URL,
    SESSIONS_URL,
    STATS_URL,
    SYNC_URL,
    TOKEN_URL,
    VERIFY_URL,
    a_set,
    advice_url,
    an_image,
    exercise_url,
    image_upload,
    session_body,
    session_url,
    token_in,
    trainers_group,
)
from tests.factories import PASSWORD, AppFactory, UserFactory, app_token
from tests.helpers import body_of

# `make run`'s address, which the answers' links then name, as in the committed schema.
HOST = "127.0.0.1:8000"
# The day: a Monday. The catalog was seeded a month before.
DAY = datetime(2026, 3, 2, tzinfo=UTC)
SEEDED = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)

ANN = "ann@example.com"
ANN_NEW_ADDRESS = "ann.k@example.net"
PASSWORDS = ["kneel-and-breathe-42", "wall-and-couch-77", "band-at-my-desk-19"]
TRAINER = "sam.trainer@example.com"

# The ids Ann's phone gives its sessions, so that a retry cannot store one twice.
MORNING = "5b0e7a52-3c1f-4d8e-9a65-2f4c8e1d7b30"
LUNCH = "c7d2f1a4-8e3b-4c59-b0d6-1a9e5f3c2b47"
EVENING = "0f9a3c6e-2d4b-4e71-8c5a-7b1d9e6f4a28"


class Operations:
    """The schema's operations, found by method and concrete path."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.found: list[tuple[str, re.Pattern[str], str]] = []
        for template, item in schema["paths"].items():
            parts = re.split(r"\{[^}]+\}", template)
            pattern = re.compile("[^/]+".join(map(re.escape, parts)))
            for method, operation in item.items():
                self.found.append((method.upper(), pattern, operation["operationId"]))

    @classmethod
    def of_the_code(cls) -> "Operations":
        """The operations as the code has them now: openapi.yaml lags behind a new one until
        its examples are recorded. (Any warning of the generator's is the schema tests' to
        report, not this one's.)"""
        with GENERATOR_STATS.silence():
            return cls(SchemaGenerator().get_schema(request=None, public=True))

    def ids(self) -> set[str]:
        return {operation_id for _, _, operation_id in self.found}

    def find(self, method: str, path: str) -> str:
        found = [o for m, p, o in self.found if m == method and p.fullmatch(path)]
        assert len(found) == 1, f"{method} {path} is not one operation of the schema: {found}"
        return found[0]


class Day:
    """The clock, Ann's tokens, and the exchanges recorded so far."""

    def __init__(self, clock: Any, operations: Operations) -> None:
        self.clock = clock
        self.operations = operations
        self.recorded: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}

    def at(self, hours: int, minutes: int = 0) -> None:
        self.clock.move_to(DAY + timedelta(hours=hours, minutes=minutes))

    def client(self, access: str | None = None) -> APIClient:
        client = APIClient(HTTP_HOST=HOST)
        if access is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client

    def phone(self) -> APIClient:
        """Ann's phone, with the access token it holds now."""
        return self.client(self.tokens["access"])

    def send(
        self,
        client: APIClient,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        status: int = 200,
        record: bool = True,
        files: dict[str, Any] | None = None,
        **headers: str,
    ) -> Response:
        """Make the request and check its status; record it unless `record` is False (an
        operation's call after the one recorded for that status, said so at the call). With
        `files`, the body and the files go as multipart/form-data, unrecorded."""
        url = f"{path}?{urlencode(query)}" if query else path
        call = getattr(client, method.lower())
        if files:
            response = call(url, {**(body or {}), **files}, format="multipart", **headers)
        elif method == "GET" or body is None:
            response = call(url, **headers)
        else:
            response = call(url, body, format="json", **headers)
        assert response.status_code == status, (method, url, response.status_code, response.content)
        if record:
            # A multipart body is no JSON example: the schema describes its parts instead.
            self._record(method, path, query, None if files else body, response)
        return response

    def _record(self, method: str, path: str, query: Any, body: Any, response: Response) -> None:
        operation_id = self.operations.find(method, path)
        first = self.recorded.get(operation_id)
        key = operation_id if first is None else f"{operation_id}@{response.status_code}"
        again = f"{key} is recorded already: send this call with record=False"
        assert key not in self.recorded, again
        assert first is None or first["status"] != response.status_code, again
        request: dict[str, Any] = {"method": method, "path": path}
        if query:
            request["query"] = dict(query)
        if body is not None:
            # A copy, as sent: the caller may change its dict afterwards.
            request["body"] = json.loads(json.dumps(body))
        recording: dict[str, Any] = {"request": request, "status": response.status_code}
        if body := body_of(response):
            recording["response"] = json.loads(body)
        self.recorded[key] = recording

    def mailed_token(self, to: str) -> str:
        """The code in the last mail sent to `to`."""
        (message, *_) = [m for m in reversed(mail.outbox) if m.to == [to]]
        return token_in(message)

    def refresh(self, *, record: bool = False) -> None:
        """The phone's access token ran out: trade the refresh token for a new pair."""
        body = {"refresh": self.tokens["refresh"]}
        self.tokens = self.send(self.client(), "POST", REFRESH_URL, body, record=record).json()


def probes_and_index(day: Day) -> None:
    """What a load balancer and a newcomer look at first."""
    day.at(6)
    anonymous = day.client()
    day.send(anonymous, "GET", "/healthz")
    day.send(anonymous, "GET", "/readyz")
    day.send(anonymous, "GET", "/api/v1/")


def browse_the_catalog(day: Day) -> int:
    """Ann, not signed up yet, looks for stretches of the psoas; the routine's id."""
    day.at(6, 30)
    anonymous = day.client()
    query = {"kind": "stretch", "muscle": "psoas-major"}
    day.send(anonymous, "GET", EXERCISES_URL, query=query)
    day.send(anonymous, "GET", exercise_url("king-runner"))
    day.send(anonymous, "GET", "/api/v1/muscles/")
    day.send(anonymous, "GET", "/api/v1/muscles/psoas-major/")
    day.send(anonymous, "GET", "/api/v1/equipment/")
    day.send(anonymous, "GET", "/api/v1/equipment/resistance-band/")
    routines = day.send(anonymous, "GET", ROUTINES_URL, query={"scope": "curated"}).json()
    (reset,) = [r["id"] for r in routines["results"] if r["name"] == "Hip Flexor Reset"]
    day.send(anonymous, "GET", f"{ROUTINES_URL}{reset}/")
    return int(reset)


def sign_up(day: Day) -> None:
    """Ann registers, asks for the confirmation mail again, confirms, logs in, sets her zone."""
    day.at(6, 35)
    anonymous = day.client()
    body = {"email": ANN, "password": PASSWORDS[0], "display_name": "Ann"}
    day.send(anonymous, "POST", REGISTER_URL, body, status=202)
    day.at(6, 36)
    day.send(anonymous, "POST", RESEND_URL, {"email": ANN}, status=202)
    day.send(anonymous, "POST", VERIFY_URL, {"token": day.mailed_token(ANN)}, status=204)
    day.at(6, 38)
    credentials = {"email": ANN, "password": PASSWORDS[0]}
    day.tokens = day.send(anonymous, "POST", TOKEN_URL, credentials).json()
    day.send(day.phone(), "GET", ME_URL)
    body = {"time_zone": "Europe/London", "preferred_units": "metric"}
    day.send(day.phone(), "PATCH", ME_URL, body)


def _done(planned: dict[str, Any], **how: Any) -> dict[str, Any]:
    """A planned set as Ann did it."""
    fields = ("exercise", "side", "reps", "hold_seconds", "rest_seconds")
    return {**{f: planned[f] for f in fields}, "pain": 0, "done": True, **how}


def work_out(day: Day, routine_id: int) -> None:
    """The routine, started offline-first under the phone's id (its answer lost once), then
    logged: a little pain in the King Runner on the left."""
    day.at(6, 40)
    start = {"id": MORNING, "started_at": "2026-03-02T06:40:00Z"}
    path = f"{ROUTINES_URL}{routine_id}/start/"
    day.send(day.phone(), "POST", path, start, status=201)
    day.send(day.phone(), "POST", path, start)  # The retry: the stored session, 200.
    started = day.send(day.phone(), "GET", session_url(MORNING))
    planned = started.json()["sets"]
    day.at(6, 52)
    sets = [
        _done(s, pain=2, hold_seconds=25)
        if (s["exercise"], s["side"]) == ("king-runner", "left")
        else _done(s)
        for s in planned
    ]
    body = {
        "started_at": "2026-03-02T06:40:00Z",
        "ended_at": "2026-03-02T06:52:00Z",
        "notes": "Left hip tight in the King Runner.",
        "perceived_effort": 4,
        "sets": sets,
    }
    day.send(day.phone(), "PUT", session_url(MORNING), body, HTTP_IF_MATCH=started["ETag"])


def after_breakfast(day: Day) -> None:
    """The access token has run out: a new pair, then what the app shows after a workout."""
    day.at(7, 30)
    day.refresh(record=True)
    day.send(day.phone(), "GET", advice_url("king-runner"))
    day.send(day.phone(), "GET", STATS_URL, query={"start": "2026-02-23", "end": "2026-03-08"})


def lunch_break(day: Day) -> None:
    """The band at her desk, logged offline and uploaded when the phone found a network;
    the upload retried because its answer was lost."""
    day.at(12, 30)
    day.refresh()
    band = Exercise.objects.get(slug="strengthener-with-a-band")
    body = session_body(
        band,
        id=LUNCH,
        started_at="2026-03-02T12:10:00Z",
        ended_at="2026-03-02T12:18:00Z",
        notes="Band at my desk.",
        perceived_effort=3,
    )
    day.send(day.phone(), "POST", SESSIONS_URL, body, status=201)
    day.send(day.phone(), "POST", SESSIONS_URL, body)  # The retry: the stored session, 200.


def the_trainer_drafts_and_withdraws(day: Day) -> None:
    """Sam, a trainer, drafts an exercise and a routine around it, revises both, publishes
    the exercise with a photo of it, then withdraws all of it when a physio advises against
    it."""
    day.at(10)
    trainer = UserFactory(email=TRAINER, password=PASSWORD, is_staff=True, display_name="Sam")
    trainer.groups.add(trainers_group())
    credentials = {"email": TRAINER, "password": PASSWORD}
    tokens = day.send(day.client(), "POST", TOKEN_URL, credentials, record=False).json()
    sam = day.client(tokens["access"])
    draft = _standing_stretch()
    slug = day.send(sam, "POST", EXERCISES_URL, draft, status=201).json()["slug"]
    day.at(10, 5)
    revised = {**draft, "summary": "A hip-flexor stretch for when kneeling is not an option."}
    day.send(sam, "PUT", exercise_url(slug), revised)
    day.send(sam, "PATCH", exercise_url(slug), {"published": True})
    day.at(10, 7)
    photo = {"file": image_upload(an_image("JPEG", (640, 480)), name="standing-stretch.jpg")}
    credit = {"licence": "CC BY 4.0", "attribution": "Sam, hipflex", "caption": "Front view"}
    media_url = exercise_url(slug) + "media/"
    image = day.send(sam, "POST", media_url, credit, files=photo, status=201).json()
    day.at(10, 10)
    routine = day.send(sam, "POST", ROUTINES_URL, _desk_break(slug), status=201).json()
    body = {"description": "Two stretches, five minutes, no floor needed."}
    day.send(sam, "PATCH", f"{ROUTINES_URL}{routine['id']}/", body)
    day.at(10, 14)
    day.send(sam, "DELETE", f"{ROUTINES_URL}{routine['id']}/", status=204)
    day.send(sam, "DELETE", f"{media_url}{image['id']}/", status=204)
    day.send(sam, "DELETE", exercise_url(slug), status=204)


def _standing_stretch() -> dict[str, Any]:
    return {
        "slug": "standing-hip-flexor-stretch",
        "name": "Standing Hip Flexor Stretch",
        "kind": "stretch",
        "summary": "A hip-flexor stretch standing in a split stance.",
        "difficulty": 1,
        "unilateral": True,
        "prescription": {"sets": 1, "reps_per_side": None, "hold_seconds": 30, "note": ""},
        "steps": [
            "Stand tall and step one foot a long stride back.",
            "Tuck your pelvis under and shift your weight forward until the front of the back "
            "hip stretches.",
        ],
        "cues": ["Squeeze the glute of the back leg."],
        "cautions": ["Keep the front knee over the ankle."],
        "muscles": [
            {"slug": "psoas-major", "role": "primary"},
            {"slug": "iliacus", "role": "primary"},
        ],
        "equipment": [],
        "published": False,
    }


def _desk_break(slug: str) -> dict[str, Any]:
    return {
        "name": "Desk Break",
        "description": "Two stretches, no floor needed.",
        "goal": "Undo a morning of sitting",
        "items": [
            {"exercise": slug, "sets": 1, "hold_seconds": 30, "rest_seconds": 10},
            {"exercise": "king-runner", "sets": 1, "hold_seconds": 30, "rest_seconds": 0},
        ],
    }


def the_evening(day: Day, routine_id: int) -> None:
    """An evening stretch saved by PUT under the phone's id, the lunch session corrected, the
    day's sessions listed, the stretch deleted again (logged by mistake: it was only planned),
    a sync with the deletion in it; then Ann makes the routine her own, as a changed copy."""
    day.at(20, 30)
    day.refresh()
    king_runner = Exercise.objects.get(slug="king-runner")
    holds = [
        a_set(king_runner, side=side, reps=None, hold_seconds=45) for side in ("left", "right")
    ]
    body = session_body(
        king_runner,
        started_at="2026-03-02T20:15:00Z",
        ended_at="2026-03-02T20:22:00Z",
        notes="Evening stretch on the couch.",
        perceived_effort=2,
        sets=holds,
    )
    day.send(day.phone(), "PUT", session_url(EVENING), body, status=201)
    lunch = day.send(day.phone(), "GET", session_url(LUNCH), record=False)
    body = {"notes": "Band at my desk; the red band.", "perceived_effort": 4}
    day.send(day.phone(), "PATCH", session_url(LUNCH), body, HTTP_IF_MATCH=lunch["ETag"])
    day.send(day.phone(), "GET", SESSIONS_URL, query={"started_after": "2026-03-02T00:00:00Z"})
    day.send(day.phone(), "DELETE", session_url(EVENING), status=204)
    day.send(day.phone(), "GET", SYNC_URL, query={"limit": "50"})
    copy = day.send(day.phone(), "POST", f"{ROUTINES_URL}{routine_id}/copy/", status=201).json()
    day.send(day.phone(), "PUT", f"{ROUTINES_URL}{copy['id']}/", _evening_reset())


def _evening_reset() -> dict[str, Any]:
    """Ann's copy of the Hip Flexor Reset, made her own: stretches only, held longer."""
    return {
        "name": "My evening reset",
        "description": "Stretches only, held longer, before bed.",
        "goal": "Looser hips in the morning",
        "items": [
            {"exercise": "half-kneeling-stretch", "sets": 1, "hold_seconds": 45},
            {"exercise": "king-runner", "sets": 2, "hold_seconds": 45, "rest_seconds": 15},
        ],
    }


MY_CONNECTIONS_URL = "/api/v1/me/connections/"
MY_TOKENS_URL = "/api/v1/me/tokens/"
# The day's personal token id, which the server draws at random on other days.
TOKEN_ID = uuid.UUID("70ce0000-0000-4000-8000-000000000001")


def a_connected_app(day: Day) -> None:
    """Ann connected a step tracker last week, without her pain; she looks at what it sees,
    and disconnects it. She makes a token for the script that charts her week, looks at it,
    and revokes it when the chart is done."""
    day.at(21, 20)
    tracker = AppFactory(name="Stride Tracker")
    app_token(User.objects.get(email=ANN), "sessions:read", "stats:read", app=tracker)
    day.refresh()
    day.send(day.phone(), "GET", MY_CONNECTIONS_URL)
    day.send(day.phone(), "DELETE", f"{MY_CONNECTIONS_URL}{tracker.pk}/", status=204)
    body = {"name": "Weekly chart", "scopes": ["stats:read"], "expires_in_days": 7}
    token_id = PersonalToken._meta.get_field("id")
    with mock.patch.object(token_id, "_get_default", side_effect=[TOKEN_ID]):
        token = day.send(day.phone(), "POST", MY_TOKENS_URL, body, status=201).json()
    day.send(day.client(token["token"]), "GET", STATS_URL, record=False)
    day.send(day.phone(), "GET", MY_TOKENS_URL)
    day.send(day.phone(), "GET", f"{MY_TOKENS_URL}{token['id']}/")
    day.send(day.phone(), "DELETE", f"{MY_TOKENS_URL}{token['id']}/", status=204)


WEBHOOKS_URL = "/api/v1/webhooks/"
# The day's endpoint, event and delivery ids, which the server draws at random on other days.
WEBHOOK_IDS = [uuid.UUID(f"5eb400c0-0000-4000-8000-00000000000{n}") for n in (1, 2, 3)]


def a_script_told_of_sessions(day: Day) -> None:
    """Ann has her chart script told of each session she logs: she registers its URL, pings
    it, reads the delivery log, sends the ping again, rotates the secret, has it told of
    deleted sessions too, and deletes the endpoint when the chart is done. (The receiver's
    answer is the one part played here, not sent: tests/webhooks send to a real one.)"""
    day.at(21, 25)
    endpoint_id, event_id, delivery_id = WEBHOOK_IDS
    received = sending.Outcome(status_code=200, milliseconds=38)
    with (
        mock.patch.object(Endpoint._meta.get_field("id"), "_get_default", return_value=endpoint_id),
        mock.patch.object(Event._meta.get_field("id"), "_get_default", return_value=event_id),
        mock.patch.object(Delivery._meta.get_field("id"), "_get_default", return_value=delivery_id),
        mock.patch.object(addresses, "_addresses", return_value=["93.184.215.14"]),
        mock.patch.object(sending, "post", return_value=received),
    ):
        body = {
            "url": "https://charts.example.com/hipflex",
            "events": ["session.created"],
            "description": "Weekly chart",
        }
        day.send(day.phone(), "POST", WEBHOOKS_URL, body, status=201)
        endpoint = f"{WEBHOOKS_URL}{endpoint_id}/"
        day.send(day.phone(), "GET", WEBHOOKS_URL)
        day.send(day.phone(), "GET", endpoint)
        day.send(day.phone(), "POST", f"{endpoint}ping/", status=202)
        day.send(day.phone(), "GET", f"{endpoint}deliveries/")
        day.send(day.phone(), "POST", f"{endpoint}deliveries/{delivery_id}/redeliver/", status=202)
        day.send(day.phone(), "POST", f"{endpoint}rotate/")
        events = {"events": ["session.created", "session.deleted"]}
        day.send(day.phone(), "PATCH", endpoint, events)
        day.send(day.phone(), "DELETE", endpoint, status=204)


def account_changes(day: Day) -> None:
    """Ann exports her data, changes her password and her address, forgets the new password
    on the tablet and resets it, logs the tablet out, and leaves."""
    day.at(21, 30)
    day.refresh()
    day.send(day.phone(), "GET", "/api/v1/me/export/")
    body = {"old_password": PASSWORDS[0], "new_password": PASSWORDS[1]}
    day.tokens = day.send(day.phone(), "POST", "/api/v1/me/password/", body).json()
    body = {"password": PASSWORDS[1], "new_email": ANN_NEW_ADDRESS}
    day.send(day.phone(), "POST", EMAIL_CHANGE_URL, body, status=202)
    day.at(21, 40)
    anonymous = day.client()
    day.send(anonymous, "POST", RESET_URL, {"email": ANN}, status=202)
    body = {"token": day.mailed_token(ANN), "new_password": PASSWORDS[2]}
    tablet = day.send(anonymous, "POST", RESET_CONFIRM_URL, body).json()
    day.at(21, 45)
    credentials = {"email": ANN, "password": PASSWORDS[2]}
    day.tokens = day.send(anonymous, "POST", TOKEN_URL, credentials, record=False).json()
    day.send(anonymous, "POST", "/api/v1/auth/logout/", {"refresh": tablet["refresh"]}, status=204)
    day.at(21, 50)
    day.send(day.phone(), "DELETE", ME_URL, {"password": PASSWORDS[2]}, status=204)


INVITATIONS_URL = "/api/v1/coaching/invitations/"
MY_TRAINERS_URL = "/api/v1/me/trainers/"
CLIENTS_URL = "/api/v1/coaching/clients/"
MY_ASSIGNMENTS_URL = "/api/v1/me/assignments/"
PLAN_URL = "/api/v1/me/plan/"
REVIEW_URL = "/api/v1/coaching/review/"
# The day's invitation codes and link id, which the server draws at random on other days.
CODES = ["7KQ2-M9XD", "H4TW-8RNC", "Q3ZB-6KFA"]
LINK_IDS = [uuid.UUID(f"0c0ac4ed-0000-4000-8000-00000000000{n}") for n in (1, 2)]


def coaching(day: Day, routine_id: int) -> None:
    """Sam invites Ann, who shares her log with him: he reads her sessions and her pain, and
    prescribes her a program; a second code he made by mistake is withdrawn; after a look at
    what it shares, Ann ends the link, and Sam ends Ben's, who moved away."""
    day.at(12, 30)
    credentials = {"email": TRAINER, "password": PASSWORD}
    sam = day.client(
        day.send(day.client(), "POST", TOKEN_URL, credentials, record=False).json()["access"]
    )
    with mock.patch("hipflex_api.accounts.services.invitation_code_new", side_effect=CODES):
        code = day.send(sam, "POST", INVITATIONS_URL, status=201).json()["code"]
        spare = day.send(sam, "POST", INVITATIONS_URL, status=201, record=False).json()
        for_ben = day.send(sam, "POST", INVITATIONS_URL, status=201, record=False).json()
    day.send(sam, "GET", INVITATIONS_URL)
    day.send(sam, "DELETE", f"{INVITATIONS_URL}{spare['id']}/", status=204)
    day.at(12, 35)
    day.refresh()
    # The field's default as Django calls it, which it caches once any link was made.
    link_id = CoachingLink._meta.get_field("id")
    with mock.patch.object(link_id, "_get_default", side_effect=LINK_IDS):
        link = day.send(day.phone(), "POST", MY_TRAINERS_URL, {"code": code}, status=201).json()
        ben = day.client(token_pair_for(UserFactory(email="ben@example.com"))["access"])
        redeemed = {"code": for_ben["code"]}
        bens = day.send(ben, "POST", MY_TRAINERS_URL, redeemed, status=201, record=False).json()
    # The answer lost in a tunnel: the retry gets the same link.
    day.send(day.phone(), "POST", MY_TRAINERS_URL, {"code": code})
    day.send(day.phone(), "GET", MY_TRAINERS_URL)
    day.send(day.phone(), "GET", f"{MY_TRAINERS_URL}{link['id']}/")
    day.at(12, 40)
    day.send(sam, "GET", CLIENTS_URL)
    day.send(sam, "GET", f"{CLIENTS_URL}{link['id']}/")
    day.send(sam, "GET", f"{CLIENTS_URL}{link['id']}/sessions/")
    sam = a_program(day, sam, f"{CLIENTS_URL}{link['id']}/assignments/", routine_id)
    day.send(day.phone(), "DELETE", f"{MY_TRAINERS_URL}{link['id']}/", status=204)
    day.send(sam, "DELETE", f"{CLIENTS_URL}{bens['id']}/", status=204)  # Ben moved away.


# The day's program ids, which the server draws at random on other days, and the id Ann's
# phone gives the session it starts from hers.
ASSIGNMENT_IDS = [uuid.UUID(f"a551e000-0000-4000-8000-00000000000{n}") for n in (1, 2)]
PROGRAM_SESSION = "3d8c1f2e-6a4b-4f0d-9e7c-5b2a1c8d4e63"
SECOND_GO = "8a4e2c1b-5d3f-4e9a-b7c6-1f0d2e3a4b58"


def a_program(day: Day, sam: APIClient, programs: str, routine_id: int) -> APIClient:
    """Sam prescribes Ann the seed's routine every weekday for three weeks, slows one
    exercise down, and withdraws a second program sent by mistake; Ann sees hers, today's
    plan, and starts it."""
    day.at(12, 41)
    body = {
        "routine": routine_id,
        "start_date": "2026-03-02",
        "end_date": "2026-03-22",
        "days_of_week": [1, 2, 3, 4, 5],
        "note": "Ease off if the front of the hip pinches, and tell me.",
        "items": [{"position": 1, "reps_per_side": 8}],
    }
    assignment_id = Assignment._meta.get_field("id")
    with mock.patch.object(assignment_id, "_get_default", side_effect=ASSIGNMENT_IDS):
        program = day.send(sam, "POST", programs, body, status=201)
        spare = day.send(sam, "POST", programs, body, status=201, record=False).json()
    day.send(sam, "DELETE", f"{programs}{spare['id']}/", status=204)
    day.send(sam, "GET", programs)
    url = f"{programs}{program.json()['id']}/"
    day.send(sam, "GET", url)
    change = {"times_per_day": 2, "items": [{"position": 2, "hold_seconds": 40}]}
    day.send(sam, "PATCH", url, change, HTTP_IF_MATCH=program["ETag"])
    day.at(12, 43)
    mine = f"{MY_ASSIGNMENTS_URL}{program.json()['id']}/"
    day.send(day.phone(), "GET", MY_ASSIGNMENTS_URL)
    day.send(day.phone(), "GET", mine)
    day.send(day.phone(), "GET", PLAN_URL)
    start = {"id": PROGRAM_SESSION, "started_at": "2026-03-02T12:43:00Z"}
    started = day.send(day.phone(), "POST", f"{mine}start/", start, status=201).json()
    day.send(day.phone(), "POST", f"{mine}start/", start)  # Retried from a tunnel: the same.
    _done_with_pain(day, started["session"], left=4)
    return the_trainer_reviews(day, sam, programs.removesuffix("assignments/"), mine)


def _done_with_pain(day: Day, session: dict[str, Any], *, left: int) -> None:
    """Ann does every planned set of the session; the King Runner hurts on the left."""
    sets = [
        {**item, "done": True, "pain": left if (item["exercise"], item["side"]) == KING_LEFT else 0}
        for item in session["sets"]
    ]
    url = session_url(session["id"])
    day.send(day.phone(), "PATCH", url, {"sets": sets}, record=False)


KING_LEFT = ("king-runner", "left")


def the_trainer_reviews(day: Day, sam: APIClient, client: str, program: str) -> APIClient:
    """Ann's pain reaches Sam's review queue; he notes that he called her, declines the
    milder option at first, and accepts it once her second go, two minutes later, hurts too.
    Sam's client for the rest of the day, logged in again."""
    day.at(12, 44)
    day.send(sam, "GET", REVIEW_URL)
    note = {"client": client.rsplit("/", 2)[-2], "reason": "pain", "note": "Called Ann."}
    day.send(sam, "POST", f"{REVIEW_URL}acknowledge/", note, status=204)
    [proposal] = day.send(sam, "GET", f"{client}proposals/").json()
    choice = {"assignment": proposal["assignment"], "position": proposal["position"]}
    choice["suggested"] = proposal["suggested"]["slug"]
    day.send(sam, "POST", f"{client}proposals/decline/", choice)
    day.at(12, 46)
    day.refresh()
    second = {"id": SECOND_GO, "started_at": "2026-03-02T12:46:00Z"}
    started = day.send(day.phone(), "POST", f"{program}start/", second, status=201, record=False)
    _done_with_pain(day, started.json()["session"], left=3)
    credentials = {"email": TRAINER, "password": PASSWORD}
    token = day.send(day.client(), "POST", TOKEN_URL, credentials, record=False).json()["access"]
    sam = day.client(token)  # His token of 12:30 ran out.
    day.send(sam, "POST", f"{client}proposals/accept/", choice)
    return sam


def play_the_day() -> Day:
    """The day played: its exchanges in `recorded`, keyed as the module docstring says."""
    with time_machine.travel(SEEDED, tick=False) as clock:
        call_command("seed_catalog", verbosity=0)
        day = Day(clock, Operations.of_the_code())
        probes_and_index(day)
        routine_id = browse_the_catalog(day)
        sign_up(day)
        work_out(day, routine_id)
        after_breakfast(day)
        the_trainer_drafts_and_withdraws(day)
        lunch_break(day)
        coaching(day, routine_id)
        the_evening(day, routine_id)
        a_connected_app(day)
        a_script_told_of_sessions(day)
        account_changes(day)
    return day
