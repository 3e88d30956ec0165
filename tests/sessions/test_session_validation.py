"""What POST /api/v1/sessions/ refuses, and that a refused upload saves nothing."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import IntegrityError

from sessions import services
from sessions.models import SetLog, WorkoutSession
from tests.conftest import SESSIONS_URL, a_set, session_body, session_url
from tests.factories import ExerciseFactory, WorkoutSessionFactory
from tests.helpers import error_fields

pytestmark = pytest.mark.django_db


def assert_refused(response, field):
    """400 in the API's error shape naming `field`, and not a row written."""
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "invalid"
    assert field in {error["field"] for error in body["errors"]}, body
    assert WorkoutSession.objects.count() == 0
    assert SetLog.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"perceived_effort": 11}, "perceived_effort"),
        ({"perceived_effort": -1}, "perceived_effort"),
        ({"ended_at": "2025-03-01T06:59:59Z"}, "ended_at"),
        ({"notes": "x" * 2001}, "notes"),
        ({"notes": "before\x00after"}, "notes"),
        ({"id": "not-a-uuid"}, "id"),
        ({"id": 12345}, "id"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": None}, "started_at"),
        ({"sets": "squats"}, "sets"),
    ],
    ids=[
        "effort-11",
        "effort-minus-1",
        "ends-before-start",
        "notes-too-long",
        "notes-nul-byte",
        "id-not-uuid",
        "id-a-number",
        "started-at-garbage",
        "started-at-null",
        "sets-not-a-list",
    ],
)
def test_invalid_session_field_is_400_and_saves_nothing(user_client, king_runner, overrides, field):
    response = user_client.post(SESSIONS_URL, session_body(king_runner, **overrides))

    assert_refused(response, field)


def test_missing_started_at_is_400(user_client, king_runner):
    body = session_body(king_runner)
    del body["started_at"]

    assert_refused(user_client.post(SESSIONS_URL, body), "started_at")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pain": 11}, "pain"),
        ({"pain": -1}, "pain"),
        ({"reps": -1}, "reps"),
        ({"reps": 0}, "reps"),
        ({"reps": 1001}, "reps"),
        ({"hold_seconds": -5}, "hold_seconds"),
        ({"hold_seconds": 0}, "hold_seconds"),
        ({"hold_seconds": 3601}, "hold_seconds"),
        ({"side": "middle"}, "side"),
        ({"notes": "x" * 501}, "notes"),
        ({"notes": "ouch\x00"}, "notes"),
        ({"reps": None, "hold_seconds": None}, "reps"),
        ({"exercise": "no-such-exercise"}, "exercise"),
        ({"exercise": "not a slug!"}, "exercise"),
    ],
    ids=[
        "pain-11",
        "pain-minus-1",
        "reps-minus-1",
        "reps-0",
        "reps-1001",
        "hold-minus-5",
        "hold-0",
        "hold-3601",
        "side-unknown",
        "notes-too-long",
        "notes-nul-byte",
        "neither-reps-nor-hold",
        "unknown-exercise",
        "exercise-not-a-slug",
    ],
)
def test_invalid_fourth_set_is_400_naming_it_and_saves_nothing(
    user_client, king_runner, overrides, field
):
    sets = [a_set(king_runner) for _ in range(5)]
    sets[3] = a_set(king_runner, **overrides)

    response = user_client.post(SESSIONS_URL, session_body(king_runner, sets=sets))

    assert_refused(response, f"sets.3.{field}")


def test_set_with_neither_reps_nor_hold_given_is_400(user_client, king_runner):
    sets = [{"exercise": king_runner.slug, "side": "both"}]

    assert_refused(
        user_client.post(SESSIONS_URL, session_body(king_runner, sets=sets)), "sets.0.reps"
    )


def test_unpublished_exercise_is_400_and_saves_nothing(user_client, king_runner):
    draft = ExerciseFactory(name="Secret Draft Stretch", published=False)
    sets = [a_set(king_runner), a_set(draft)]

    response = user_client.post(SESSIONS_URL, session_body(king_runner, sets=sets))

    assert_refused(response, "sets.1.exercise")


def test_every_bad_set_is_named(user_client, king_runner):
    sets = [a_set(king_runner), a_set(king_runner, exercise="nope"), a_set(king_runner)]
    sets.append(a_set(king_runner, exercise="nope-either"))

    response = user_client.post(SESSIONS_URL, session_body(king_runner, sets=sets))

    assert_refused(response, "sets.1.exercise")
    assert "sets.3.exercise" in {error["field"] for error in response.json()["errors"]}


def test_more_than_max_sets_is_400(user_client, king_runner):
    sets = [a_set(king_runner)] * (settings.MAX_SETS_PER_SESSION + 1)

    assert_refused(user_client.post(SESSIONS_URL, session_body(king_runner, sets=sets)), "sets")


def test_exactly_max_sets_is_accepted(user_client, king_runner):
    sets = [a_set(king_runner)] * settings.MAX_SETS_PER_SESSION

    response = user_client.post(SESSIONS_URL, session_body(king_runner, sets=sets))

    assert response.status_code == 201, response.json()
    assert SetLog.objects.count() == settings.MAX_SETS_PER_SESSION


@pytest.mark.parametrize("field", ["started_at", "ended_at"])
def test_naive_datetime_is_400_not_read_as_utc(user_client, king_runner, field):
    # A phone that drops its offset would otherwise have its workout moved by hours.
    body = session_body(king_runner, **{field: "2025-03-01T07:30:00"})

    assert_refused(user_client.post(SESSIONS_URL, body), field)


def test_datetime_with_offset_is_kept_as_the_same_instant(user_client, king_runner):
    body = session_body(king_runner, started_at="2025-03-01T23:30:00+10:00", ended_at=None)

    response = user_client.post(SESSIONS_URL, body)

    assert response.status_code == 201, response.json()
    assert response.json()["started_at"] == "2025-03-01T13:30:00Z"


def test_body_over_one_mebibyte_is_413_and_saves_nothing(user_client, king_runner):
    body = json.dumps(session_body(king_runner, notes="x" * (1024 * 1024)))

    response = user_client.post(SESSIONS_URL, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "status": 413,
        "code": "request_too_large",
        "detail": response.json()["detail"],
        "errors": [],
    }
    assert WorkoutSession.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("started_at=2025-03-01T07:00:00Z", "application/x-www-form-urlencoded"),
        ("started_at: 2025-03-01", "text/plain"),
    ],
)
def test_non_json_body_is_415(user_client, body, content_type):
    response = user_client.post(SESSIONS_URL, body, content_type=content_type)

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert WorkoutSession.objects.count() == 0


@pytest.mark.parametrize("body", ["[]", '"session"', "null", "7"])
def test_body_that_is_not_an_object_is_400(user_client, body):
    response = user_client.post(SESSIONS_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert WorkoutSession.objects.count() == 0


def test_malformed_json_is_400(user_client):
    response = user_client.post(SESSIONS_URL, '{"started_at": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert WorkoutSession.objects.count() == 0


def test_absurdly_nested_json_is_400_not_a_crash(user_client):
    body = '{"notes": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = user_client.post(SESSIONS_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_client_chosen_id_is_kept(user_client, king_runner):
    session_id = uuid.uuid4()

    response = user_client.post(SESSIONS_URL, session_body(king_runner, id=str(session_id)))

    assert response.status_code == 201
    assert response.json()["id"] == str(session_id)
    assert WorkoutSession.objects.get().pk == session_id


def test_service_saves_nothing_when_the_database_refuses_a_set(user, king_runner):
    # Serializers stop a set with neither reps nor hold; the database refuses it too, and then
    # the session row written just before it must go as well.
    data = {
        "started_at": datetime(2025, 3, 1, 7, tzinfo=UTC),
        "sets": [
            {"exercise": king_runner, "side": "left", "reps": 10},
            {"exercise": king_runner, "side": "left", "reps": None, "hold_seconds": None},
        ],
    }

    with pytest.raises(IntegrityError):
        services.session_create(user=user, data=data)

    assert WorkoutSession.objects.count() == 0
    assert SetLog.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("notes", 0), ("notes", True), ("started_at", 20250301), ("perceived_effort", "5")],
)
def test_a_value_of_the_wrong_json_type_is_refused_not_converted(
    user_client, king_runner, field, value
):
    response = user_client.post(SESSIONS_URL, session_body(king_runner, **{field: value}))
    assert response.status_code == 400
    assert field in {error["field"] for error in response.json()["errors"]}
    assert WorkoutSession.objects.count() == 0


def test_a_set_flag_must_be_a_json_boolean(user_client, king_runner):
    sets = [{"exercise": king_runner.slug, "side": "left", "reps": 10, "done": 1}]
    response = user_client.post(SESSIONS_URL, session_body(king_runner, sets=sets))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sets.0.done"


@pytest.mark.parametrize("field", ["reps", "hold_seconds", "pain", "rest_seconds"])
def test_a_set_number_must_be_a_json_number(user_client, king_runner, field):
    sets = [{"exercise": king_runner.slug, "side": "left", "reps": 10, field: "10"}]
    response = user_client.post(SESSIONS_URL, session_body(king_runner, sets=sets))
    assert error_fields(response) == {f"sets.0.{field}"}
    assert WorkoutSession.objects.count() == 0


def test_a_whole_number_written_with_a_point_is_a_number(user_client, king_runner):
    sets = [{"exercise": king_runner.slug, "side": "left", "reps": 10.0}]
    response = user_client.post(SESSIONS_URL, session_body(king_runner, sets=sets))
    assert response.status_code == 201, response.json()
    assert response.json()["sets"][0]["reps"] == 10


def test_a_patch_of_the_sets_needs_every_set_whole(user_client, user, king_runner):
    session = WorkoutSessionFactory(user=user)

    response = user_client.patch(
        session_url(session.pk), {"sets": [{"side": "left", "reps": 1}]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sets.0.exercise"


def test_a_created_session_shows_its_sets_as_later_writes_leave_them(user, king_runner):
    # session_create hands back its sets without reading them; later writes to the same object
    # must not leave the old ones showing.
    started = datetime(2025, 3, 1, 7, tzinfo=UTC)
    set_data = {"exercise": king_runner, "side": "left", "reps": 10}
    session = services.session_create(user=user, data={"started_at": started, "sets": [set_data]})
    assert [s.reps for s in session.sets.all()] == [10]

    services.session_update(session=session, data={"sets": [{**set_data, "reps": 12}] * 2})
    assert [s.reps for s in session.sets.all()] == [12, 12]

    services.session_delete(session=session)
    assert list(session.sets.all()) == []
    assert SetLog.objects.count() == 0
