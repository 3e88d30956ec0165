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
from django.core.management import call_command

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
def phone(generated_client, live_server, transactional_db):
    """Make a generated client for the live server, anonymous or holding an access token."""
    call_command("seed_catalog", verbosity=0)
    with contextlib.ExitStack() as clients:

        def make(token: str | None = None) -> Any:
            options = {"base_url": live_server.url, "raise_on_unexpected_status": True}
            if token is None:
                client = generated_client.Client(**options)
            else:
                client = generated_client.AuthenticatedClient(token=token, **options)
            # Closed before the server stops: a kept-alive connection would leave a server
            # thread holding the test database's connection past the test.
            return clients.enter_context(client)

        yield make


def test_a_phone_day_through_the_generated_client(phone):
    from hipflex_client.api.auth import (
        auth_register_create,
        auth_token_create,
        auth_token_refresh_create,
    )
    from hipflex_client.api.exercises import (
        exercises_advice_retrieve,
        exercises_list,
        exercises_retrieve,
    )
    from hipflex_client.api.me import (
        me_destroy,
        me_export_retrieve,
        me_retrieve,
        me_stats_retrieve,
    )
    from hipflex_client.api.routines import routines_list, routines_start_create
    from hipflex_client.api.sessions import sessions_create, sessions_retrieve, sessions_update
    from hipflex_client.api.sync import sync_retrieve
    from hipflex_client.models import (
        Advice,
        AdviceActionEnum,
        Error,
        Exercise,
        Export,
        PaginatedExerciseSummaryList,
        PaginatedRoutineList,
        Profile,
        ProgressStats,
        Registered,
        RegisterRequest,
        RoutineStartRequest,
        SetLogRequest,
        SideEnum,
        StartedSession,
        SyncPage,
        TokenObtainPairRequest,
        TokenPair,
        TokenRefreshRequest,
        WorkoutSession,
        WorkoutSessionRequest,
    )

    # The generator types these anonymous operations as needing an AuthenticatedClient
    # (openapi-python-client issue 1372: it reads `security: [{}]` as "authenticated"), but
    # they only use what Client has too, as a phone without an account must.
    anonymous = phone()

    # Sign up, then log in as a reinstalled app would.
    registered = expect(
        auth_register_create.sync_detailed(
            client=anonymous, body=RegisterRequest(email=EMAIL, password=PASSWORD)
        ),
        HTTPStatus.CREATED,
        Registered,
    )
    assert registered.user.email == EMAIL
    tokens = expect(
        auth_token_create.sync_detailed(
            client=anonymous, body=TokenObtainPairRequest(email=EMAIL, password=PASSWORD)
        ),
        HTTPStatus.OK,
        TokenPair,
    )
    first_access = tokens.access
    device = phone(tokens.access)

    # Browse the catalog.
    catalog = expect(
        exercises_list.sync_detailed(client=device), HTTPStatus.OK, PaginatedExerciseSummaryList
    )
    assert {"king-runner", "half-kneeling-stretch"} <= {e.slug for e in catalog.results}
    king_runner = expect(
        exercises_retrieve.sync_detailed("king-runner", client=device), HTTPStatus.OK, Exercise
    )
    assert [o.slug for o in king_runner.milder_options] == ["half-kneeling-stretch"]
    routines = expect(
        routines_list.sync_detailed(client=device), HTTPStatus.OK, PaginatedRoutineList
    )
    (reset,) = [r for r in routines.results if r.name == "Hip Flexor Reset"]

    # Start the article's routine under an id the phone chose, offline-first.
    first_id = uuid.uuid4()
    started_at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    started = expect(
        routines_start_create.sync_detailed(
            reset.id, client=device, body=RoutineStartRequest(id=first_id, started_at=started_at)
        ),
        HTTPStatus.CREATED,
        StartedSession,
    )
    assert started.session.id == first_id
    assert started.session.sets, "the routine's sets are planned"
    assert not any(s.done for s in started.session.sets)
    fetched = sessions_retrieve.sync_detailed(first_id, client=device)
    expect(fetched, HTTPStatus.OK, WorkoutSession)
    etag = fetched.headers["ETag"]

    # Log the sets: 10 reps a leg with the band, 30-second holds for the stretches.
    def done(planned: Any) -> SetLogRequest:
        band = planned.exercise == "strengthener-with-a-band"
        return SetLogRequest(
            exercise=planned.exercise,
            side=planned.side,
            reps=10 if band else None,
            hold_seconds=None if band else 30,
            pain=0,
            done=True,
        )

    logged = WorkoutSessionRequest(
        id=first_id,
        started_at=started_at,
        ended_at=started_at + timedelta(minutes=15),
        perceived_effort=4,
        sets=[done(s) for s in started.session.sets],
    )
    put = sessions_update.sync_detailed(first_id, client=device, body=logged, if_match=etag)
    saved = expect(put, HTTPStatus.OK, WorkoutSession)
    assert all(s.done for s in saved.sets)
    assert {(s.exercise, s.side, s.reps) for s in saved.sets if s.reps} == {
        ("strengthener-with-a-band", SideEnum.LEFT, 10),
        ("strengthener-with-a-band", SideEnum.RIGHT, 10),
    }
    assert {s.hold_seconds for s in saved.sets if s.reps is None} == {30}
    # The answer was lost in a tunnel: the same upload again, with the ETag it was based on.
    retried = sessions_update.sync_detailed(first_id, client=device, body=logged, if_match=etag)
    assert expect(retried, HTTPStatus.OK, WorkoutSession).version == saved.version
    assert retried.headers["ETag"] == put.headers["ETag"]

    # A second session, uploaded with an Idempotency-Key and retried.
    second_id = uuid.uuid4()
    upload = WorkoutSessionRequest(
        id=second_id,
        started_at=started_at + timedelta(hours=2),
        sets=[
            SetLogRequest(exercise="half-kneeling-stretch", side=side, hold_seconds=30)
            for side in (SideEnum.LEFT, SideEnum.RIGHT)
        ],
    )
    key = str(uuid.uuid4())
    first_try = sessions_create.sync_detailed(client=device, body=upload, idempotency_key=key)
    created = expect(first_try, HTTPStatus.CREATED, WorkoutSession)
    assert "Idempotent-Replayed" not in first_try.headers
    second_try = sessions_create.sync_detailed(client=device, body=upload, idempotency_key=key)
    assert expect(second_try, HTTPStatus.CREATED, WorkoutSession) == created
    assert second_try.headers["Idempotent-Replayed"] == "true"

    # The tablet, signed in as the same person, syncs everything.
    tablet = phone(tokens.access)
    changes = expect(sync_retrieve.sync_detailed(client=tablet), HTTPStatus.OK, SyncPage)
    assert not changes.has_more
    assert {s.id for s in changes.sessions} == {first_id, second_id}
    assert changes.deleted_sessions == []
    current = sessions_retrieve.sync_detailed(
        first_id, client=tablet, if_none_match=put.headers["ETag"]
    )
    assert current.status_code == HTTPStatus.NOT_MODIFIED
    # An edit based on the session as started, before the phone logged it, must not win.
    stale_edit = attrs.evolve(logged, perceived_effort=9)
    stale = sessions_update.sync_detailed(first_id, client=tablet, body=stale_edit, if_match=etag)
    expect(stale, HTTPStatus.PRECONDITION_FAILED, Error)

    # The access token runs out: trade the refresh token, and the old one stops working.
    refreshed = expect(
        auth_token_refresh_create.sync_detailed(
            client=anonymous, body=TokenRefreshRequest(refresh=tokens.refresh)
        ),
        HTTPStatus.OK,
        TokenPair,
    )
    device = phone(refreshed.access)
    profile = expect(me_retrieve.sync_detailed(client=device), HTTPStatus.OK, Profile)
    assert profile.email == EMAIL
    reused = auth_token_refresh_create.sync_detailed(
        client=anonymous, body=TokenRefreshRequest(refresh=tokens.refresh)
    )
    expect(reused, HTTPStatus.UNAUTHORIZED, Error)

    # What the app shows after the workout.
    advice = expect(
        exercises_advice_retrieve.sync_detailed("king-runner", client=device),
        HTTPStatus.OK,
        Advice,
    )
    assert advice.action == AdviceActionEnum.KEEP
    stats = expect(me_stats_retrieve.sync_detailed(client=device), HTTPStatus.OK, ProgressStats)
    assert stats.total_sessions == 2
    (band,) = [e for e in stats.exercises if e.exercise == "strengthener-with-a-band"]
    assert band.sides is not None
    assert (band.sides.left.reps, band.sides.right.reps) == (10, 10)

    # Take the data out, then leave for good.
    export = expect(me_export_retrieve.sync_detailed(client=device), HTTPStatus.OK, Export)
    assert {s.id for s in export.sessions} == {first_id, second_id}

    assert "body" in inspect.signature(me_destroy.sync_detailed).parameters, (
        "DELETE /api/v1/me/ needs the password in its body, but openapi.yaml documents no "
        "request body there, so a generated client cannot send it"
    )
    from hipflex_client.models import PasswordConfirmRequest

    deleted = me_destroy.sync_detailed(
        client=device, body=PasswordConfirmRequest(password=PASSWORD)
    )
    assert deleted.status_code == HTTPStatus.NO_CONTENT, deleted.content
    for token in (first_access, refreshed.access):
        expect(me_retrieve.sync_detailed(client=phone(token)), HTTPStatus.UNAUTHORIZED, Error)
