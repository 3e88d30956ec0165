"""A phone app's day, played against a live server through a client generated from openapi.yaml.

Every call goes through the generated client's typed functions, with
`raise_on_unexpected_status` on, so a status the schema does not list fails the test. Every
answer is checked against its generated model field by field: a missing field, a null where
the schema promises a value, a wrong type, an unknown enum value or an undocumented field fails
the test, which the generated parsers alone do not all catch.
"""

import contextlib
import importlib
import inspect
import types
import typing
import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

import attrs
import pytest

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "ann@example.com"
PASSWORD = "kneel-and-breathe-42"


def _conforms_to_one_of(value: Any, hint: Any, path: str) -> None:
    failures = []
    for option in typing.get_args(hint):
        try:
            assert_conforms(value, option, path)
        except AssertionError as failure:
            failures.append(str(failure))
        else:
            return
    raise AssertionError(" / ".join(failures))


def _conforms_to_list(value: Any, hint: Any, path: str) -> None:
    assert isinstance(value, list), f"{path}: {value!r} is not a list"
    (item_hint,) = typing.get_args(hint)
    for index, item in enumerate(value):
        assert_conforms(item, item_hint, f"{path}[{index}]")


def _conforms_to_model(value: Any, hint: Any, path: str) -> None:
    assert isinstance(value, hint), f"{path}: {value!r} is not a {hint.__name__}"
    assert not value.additional_properties, (
        f"{path}: fields the schema's {hint.__name__} does not document: "
        f"{sorted(value.additional_properties)}"
    )
    module = typing.cast(types.ModuleType, inspect.getmodule(hint))
    # Annotations are strings naming sibling models that the module imports only for
    # type checkers; the models package names them all.
    models = importlib.import_module(module.__name__.rsplit(".", 1)[0])
    hints = typing.get_type_hints(hint, globalns={**vars(module), **vars(models)})
    for field in attrs.fields(hint):
        if field.name != "additional_properties":
            assert_conforms(getattr(value, field.name), hints[field.name], f"{path}.{field.name}")


def assert_conforms(value: Any, hint: Any, path: str = "answer") -> None:
    """Fail unless `value` is exactly what the generated type `hint` promises."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return
    if origin in (typing.Union, types.UnionType):
        _conforms_to_one_of(value, hint, path)
        return
    if origin is list:
        _conforms_to_list(value, hint, path)
        return
    if hint is type(None):
        assert value is None, f"{path}: {value!r} is not null"
        return
    if attrs.has(hint):
        _conforms_to_model(value, hint, path)
        return
    if hint in (int, float):
        # JSON has one number type; a bool is never one.
        expected = (int, float) if hint is float else int
        assert not isinstance(value, bool), f"{path}: {value!r} is not {hint.__name__}"
        assert isinstance(value, expected), f"{path}: {value!r} is not {hint.__name__}"
        return
    assert isinstance(value, hint), f"{path}: {value!r} is not {getattr(hint, '__name__', hint)}"


def expect(response: Any, status: HTTPStatus, model: type) -> Any:
    """The answer's parsed body, after checking its status and its shape."""
    assert response.status_code == status, (response.status_code, response.content)
    assert_conforms(response.parsed, model, model.__name__)
    return response.parsed


@pytest.fixture
def phone(generated_client, seeded_server):
    """Make a generated client for the live server, anonymous or holding an access token."""
    with contextlib.ExitStack() as clients:

        def make(token: str | None = None) -> Any:
            options = {"base_url": seeded_server, "raise_on_unexpected_status": True}
            if token is None:
                client = generated_client.Client(**options)
            else:
                client = generated_client.AuthenticatedClient(token=token, **options)
            # Closed before the server stops: a kept-alive connection would leave a server
            # thread holding the test database's connection past the test.
            return clients.enter_context(client)

        yield make


class _Api:
    """The generated client's operations under one tag: `_Api("auth").login`."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __getattr__(self, operation: str) -> Any:
        return importlib.import_module(f"hipflex_client.api.{self.tag}.{operation}")


def _models() -> Any:
    return importlib.import_module("hipflex_client.models")


class _Day:
    """One person's day, step by step; each step checks what the app would rely on."""

    def __init__(self, phone: Any) -> None:
        self.phone = phone
        # The generator types the anonymous operations as needing an AuthenticatedClient
        # (openapi-python-client issue 1372: it reads `security: [{}]` as "authenticated"),
        # but they only use what Client has too, as a phone without an account must.
        self.anonymous = phone()
        self.first_id = uuid.uuid4()
        self.second_id = uuid.uuid4()
        self.started_at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def sign_up_and_log_in(self) -> None:
        auth, m = _Api("auth"), _models()
        registered = expect(
            auth.register.sync_detailed(
                client=self.anonymous, body=m.RegisterRequest(email=EMAIL, password=PASSWORD)
            ),
            HTTPStatus.ACCEPTED,
            m.Accepted,
        )
        assert "log in" in registered.detail
        # Then log in with the password just chosen.
        self.tokens = expect(
            auth.login.sync_detailed(
                client=self.anonymous,
                body=m.TokenObtainPairRequest(email=EMAIL, password=PASSWORD),
            ),
            HTTPStatus.OK,
            m.TokenPair,
        )
        self.device = self.phone(self.tokens.access)

    def browse(self) -> Any:
        """The catalog and the routines; the article's routine."""
        exercises, m = _Api("exercises"), _models()
        catalog = expect(
            exercises.list_exercises.sync_detailed(client=self.device),
            HTTPStatus.OK,
            m.PaginatedExerciseSummaryList,
        )
        assert {"king-runner", "half-kneeling-stretch"} <= {e.slug for e in catalog.results}
        king_runner = expect(
            exercises.get_exercise.sync_detailed("king-runner", client=self.device),
            HTTPStatus.OK,
            m.Exercise,
        )
        assert [o.slug for o in king_runner.milder_options] == ["half-kneeling-stretch"]
        routines = expect(
            _Api("routines").list_routines.sync_detailed(client=self.device),
            HTTPStatus.OK,
            m.PaginatedRoutineList,
        )
        (reset,) = [r for r in routines.results if r.name == "Hip Flexor Reset"]
        return reset

    def start(self, routine: Any) -> Any:
        """The routine started under an id the phone chose, offline-first; its ETag."""
        m = _models()
        started = expect(
            _Api("routines").start_routine.sync_detailed(
                routine.id,
                client=self.device,
                body=m.RoutineStartRequest(id=self.first_id, started_at=self.started_at),
            ),
            HTTPStatus.CREATED,
            m.StartedSession,
        )
        assert started.session.id == self.first_id
        assert started.session.sets, "the routine's sets are planned"
        assert not any(s.done for s in started.session.sets)
        fetched = _Api("sessions").get_session.sync_detailed(self.first_id, client=self.device)
        expect(fetched, HTTPStatus.OK, m.WorkoutSession)
        self.started_etag = fetched.headers["ETag"]
        return started.session

    def log(self, planned: Any) -> None:
        """10 reps a leg with the band, 30-second holds for the stretches; then the same
        upload again, its answer lost in a tunnel."""
        sessions, m = _Api("sessions"), _models()

        def done(planned_set: Any) -> Any:
            band = planned_set.exercise == "strengthener-with-a-band"
            return m.SetLogRequest(
                exercise=planned_set.exercise,
                side=planned_set.side,
                reps=10 if band else None,
                hold_seconds=None if band else 30,
                pain=0,
                done=True,
            )

        self.logged = m.WorkoutSessionRequest(
            id=self.first_id,
            started_at=self.started_at,
            ended_at=self.started_at + timedelta(minutes=15),
            perceived_effort=4,
            sets=[done(s) for s in planned.sets],
        )
        self.put = sessions.save_session.sync_detailed(
            self.first_id, client=self.device, body=self.logged, if_match=self.started_etag
        )
        saved = expect(self.put, HTTPStatus.OK, m.WorkoutSession)
        assert all(s.done for s in saved.sets)
        assert {(s.exercise, s.side, s.reps) for s in saved.sets if s.reps} == {
            ("strengthener-with-a-band", m.SideEnum.LEFT, 10),
            ("strengthener-with-a-band", m.SideEnum.RIGHT, 10),
        }
        assert {s.hold_seconds for s in saved.sets if s.reps is None} == {30}
        retried = sessions.save_session.sync_detailed(
            self.first_id, client=self.device, body=self.logged, if_match=self.started_etag
        )
        assert expect(retried, HTTPStatus.OK, m.WorkoutSession).version == saved.version
        assert retried.headers["ETag"] == self.put.headers["ETag"]

    def upload_with_a_key(self) -> None:
        """A second session, uploaded with an Idempotency-Key and retried."""
        sessions, m = _Api("sessions"), _models()
        upload = m.WorkoutSessionRequest(
            id=self.second_id,
            started_at=self.started_at + timedelta(hours=2),
            sets=[
                m.SetLogRequest(exercise="half-kneeling-stretch", side=side, hold_seconds=30)
                for side in (m.SideEnum.LEFT, m.SideEnum.RIGHT)
            ],
        )
        key = str(uuid.uuid4())
        create = sessions.upload_session.sync_detailed
        first_try = create(client=self.device, body=upload, idempotency_key=key)
        created = expect(first_try, HTTPStatus.CREATED, m.WorkoutSession)
        assert "Idempotent-Replayed" not in first_try.headers
        second_try = create(client=self.device, body=upload, idempotency_key=key)
        assert expect(second_try, HTTPStatus.CREATED, m.WorkoutSession) == created
        assert second_try.headers["Idempotent-Replayed"] == "true"

    def sync_the_tablet(self) -> None:
        """The tablet, signed in as the same person, syncs everything; its edit based on the
        session as started, before the phone logged it, must not win."""
        sessions, m = _Api("sessions"), _models()
        tablet = self.phone(self.tokens.access)
        changes = expect(
            _Api("sync").get_sync_page.sync_detailed(client=tablet), HTTPStatus.OK, m.SyncPage
        )
        assert not changes.has_more
        assert {s.id for s in changes.sessions} == {self.first_id, self.second_id}
        assert changes.deleted_sessions == []
        current = sessions.get_session.sync_detailed(
            self.first_id, client=tablet, if_none_match=self.put.headers["ETag"]
        )
        assert current.status_code == HTTPStatus.NOT_MODIFIED
        stale_edit = attrs.evolve(self.logged, perceived_effort=9)
        stale = sessions.save_session.sync_detailed(
            self.first_id, client=tablet, body=stale_edit, if_match=self.started_etag
        )
        expect(stale, HTTPStatus.PRECONDITION_FAILED, m.Error)

    def refresh(self) -> None:
        """The access token runs out: trade the refresh token; the old one stops working."""
        auth, m = _Api("auth"), _models()
        self.first_access = self.tokens.access
        body = m.TokenRefreshRequest(refresh=self.tokens.refresh)
        self.refreshed = expect(
            auth.refresh_token.sync_detailed(client=self.anonymous, body=body),
            HTTPStatus.OK,
            m.TokenPair,
        )
        self.device = self.phone(self.refreshed.access)
        me = _Api("me").get_my_profile.sync_detailed(client=self.device)
        assert expect(me, HTTPStatus.OK, m.Profile).email == EMAIL
        reused = auth.refresh_token.sync_detailed(client=self.anonymous, body=body)
        expect(reused, HTTPStatus.UNAUTHORIZED, m.Error)

    def after_the_workout(self) -> None:
        """What the app shows: advice, then progress."""
        m = _models()
        advice = expect(
            _Api("exercises").get_exercise_advice.sync_detailed("king-runner", client=self.device),
            HTTPStatus.OK,
            m.Advice,
        )
        assert advice.action == m.AdviceActionEnum.KEEP
        stats = expect(
            _Api("me").get_my_stats.sync_detailed(client=self.device),
            HTTPStatus.OK,
            m.ProgressStats,
        )
        assert stats.total_sessions == 2
        (band,) = [e for e in stats.exercises if e.exercise == "strengthener-with-a-band"]
        assert band.sides is not None
        assert (band.sides.left.reps, band.sides.right.reps) == (10, 10)

    def export_and_leave(self) -> None:
        """Take the data out, then leave for good: no token works after."""
        me, m = _Api("me"), _models()
        export = expect(
            me.export_my_data.sync_detailed(client=self.device), HTTPStatus.OK, m.Export
        )
        assert {s.id for s in export.sessions} == {self.first_id, self.second_id}
        assert "body" in inspect.signature(me.delete_my_account.sync_detailed).parameters, (
            "DELETE /api/v1/me/ needs the password in its body, but openapi.yaml documents no "
            "request body there, so a generated client cannot send it"
        )
        deleted = me.delete_my_account.sync_detailed(
            client=self.device, body=m.PasswordConfirmRequest(password=PASSWORD)
        )
        assert deleted.status_code == HTTPStatus.NO_CONTENT, deleted.content
        for token in (self.first_access, self.refreshed.access):
            answer = me.get_my_profile.sync_detailed(client=self.phone(token))
            expect(answer, HTTPStatus.UNAUTHORIZED, m.Error)


def test_a_phone_day_through_the_generated_client(phone):
    day = _Day(phone)
    day.sign_up_and_log_in()
    routine = day.browse()
    day.log(day.start(routine))
    day.upload_with_a_key()
    day.sync_the_tablet()
    day.refresh()
    day.after_the_workout()
    day.export_and_leave()
