"""POST /api/v1/routines/{id}/start/: a session planned from a routine as prescribed now, with
the milder option in place of an exercise that hurt lately, or the harder one after easy weeks."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sessions.models import WorkoutSession
from tests.factories import (
    ExerciseFactory,
    ExerciseProgressionFactory,
    RoutineFactory,
    RoutineItemFactory,
    SetLogFactory,
    WorkoutSessionFactory,
)

pytestmark = pytest.mark.django_db

DAY_ONE = datetime(2025, 3, 1, 7, 0, tzinfo=UTC)


def log_session(user, exercise, *, day=0, effort=4, pains=(0, 0)):
    """A session `day` days after DAY_ONE with one done set per side and pain given."""
    session = WorkoutSessionFactory(
        user=user, started_at=DAY_ONE + timedelta(days=day), perceived_effort=effort
    )
    for position, (pain, side) in enumerate(zip(pains, ["left", "right"], strict=False)):
        SetLogFactory(session=session, position=position, exercise=exercise, side=side, pain=pain)
    return session


def start(client, routine, **body):
    return client.post(f"/api/v1/routines/{routine.pk}/start/", body, format="json")


def started(client, routine, **body):
    response = start(client, routine, **body)
    assert response.status_code == 201, response.json()
    return response.json()


def planned(session):
    return [(s["exercise"], s["side"]) for s in session["sets"]]


@pytest.fixture
def half_kneeling(king_runner):
    milder = ExerciseFactory(name="Half-Kneeling Stretch", unilateral=True)
    ExerciseProgressionFactory(milder=milder, harder=king_runner)
    return milder


@pytest.fixture
def couch_stretch(king_runner):
    harder = ExerciseFactory(name="Elevated Couch Stretch", unilateral=True, difficulty=3)
    ExerciseProgressionFactory(milder=king_runner, harder=harder)
    return harder


@pytest.fixture
def routine(king_runner, band_march):
    """A published curated routine: the King Runner, held, then Band Marches for reps."""
    routine = RoutineFactory(name="Desk Worker's Hips")
    RoutineItemFactory(
        routine=routine,
        position=0,
        exercise=king_runner,
        sets=2,
        hold_seconds=45,
        reps_per_side=None,
        rest_seconds=15,
        notes="Sit tall.",
    )
    RoutineItemFactory(
        routine=routine,
        position=1,
        exercise=band_march,
        sets=3,
        hold_seconds=None,
        reps_per_side=12,
        rest_seconds=30,
    )
    return routine


def test_anonymous_caller_is_401(api_client, routine):
    assert start(api_client, routine).status_code == 401


def test_planned_sets_follow_the_prescription_per_side(user_client, routine):
    body = started(user_client, routine)
    session = body["session"]

    assert body["adjustments"] == []
    assert session["routine"] == routine.pk
    assert session["routine_name"] == "Desk Worker's Hips"
    # Two sets of a one-sided stretch are four: left and right each time; then three of both.
    assert planned(session) == [
        ("king-runner", "left"),
        ("king-runner", "right"),
        ("king-runner", "left"),
        ("king-runner", "right"),
        ("band-march", "both"),
        ("band-march", "both"),
        ("band-march", "both"),
    ]
    assert all(s["done"] is False and s["pain"] == 0 for s in session["sets"])
    stretch, march = session["sets"][0], session["sets"][-1]
    assert (stretch["hold_seconds"], stretch["reps"], stretch["rest_seconds"]) == (45, None, 15)
    assert stretch["notes"] == "Sit tall."
    assert (march["hold_seconds"], march["reps"], march["rest_seconds"]) == (None, 12, 30)


def test_recent_pain_puts_the_milder_option_in_its_place(
    user_client, user, routine, king_runner, half_kneeling
):
    log_session(user, king_runner, pains=[4, 0])

    body = started(user_client, routine)

    assert body["adjustments"] == [
        {
            "position": 0,
            "exercise": {"slug": "king-runner", "name": "King Runner"},
            "suggested": {"slug": "half-kneeling-stretch", "name": "Half-Kneeling Stretch"},
            "action": "milder",
            "reason": body["adjustments"][0]["reason"],
            "painful_side": "left",
            "applied": True,
        }
    ]
    assert "pain 4/10" in body["adjustments"][0]["reason"]
    assert "left side only" in body["adjustments"][0]["reason"]
    assert (
        planned(body["session"])[:4]
        == [
            ("half-kneeling-stretch", "left"),
            ("half-kneeling-stretch", "right"),
        ]
        * 2
    )
    # The milder option takes the prescribed dose.
    assert body["session"]["sets"][0]["hold_seconds"] == 45
    assert {slug for slug, _ in planned(body["session"])} == {"half-kneeling-stretch", "band-march"}


def test_keep_leaves_the_prescribed_exercise_and_says_the_advice_was_not_applied(
    user_client, user, routine, king_runner, half_kneeling
):
    log_session(user, king_runner, pains=[4, 4])

    body = started(user_client, routine, keep=["king-runner"])

    (adjustment,) = body["adjustments"]
    assert adjustment["action"] == "milder"
    assert adjustment["suggested"]["slug"] == "half-kneeling-stretch"
    assert adjustment["applied"] is False
    assert adjustment["painful_side"] is None
    assert {slug for slug, _ in planned(body["session"])} == {"king-runner", "band-march"}


def test_easy_sessions_put_the_harder_option_in_its_place(
    user_client, user, routine, king_runner, couch_stretch
):
    for day in range(3):
        log_session(user, king_runner, day=day, effort=3)

    body = started(user_client, routine)

    (adjustment,) = body["adjustments"]
    assert adjustment["action"] == "harder"
    assert adjustment["suggested"] == {
        "slug": "elevated-couch-stretch",
        "name": "Elevated Couch Stretch",
    }
    assert adjustment["painful_side"] is None
    assert adjustment["applied"] is True
    assert (
        planned(body["session"])[:4]
        == [
            ("elevated-couch-stretch", "left"),
            ("elevated-couch-stretch", "right"),
        ]
        * 2
    )


def test_keep_also_refuses_the_harder_option(
    user_client, user, routine, king_runner, couch_stretch
):
    for day in range(3):
        log_session(user, king_runner, day=day, effort=3)

    body = started(user_client, routine, keep=["king-runner", "not-in-this-routine"])

    (adjustment,) = body["adjustments"]
    assert (adjustment["action"], adjustment["applied"]) == ("harder", False)
    assert planned(body["session"])[0] == ("king-runner", "left")


def test_a_two_sided_milder_option_is_planned_once_per_set(user_client, user, routine, king_runner):
    lying = ExerciseFactory(name="Lying Hip Flexor Stretch", unilateral=False)
    ExerciseProgressionFactory(milder=lying, harder=king_runner)
    log_session(user, king_runner, pains=[6, 6])

    body = started(user_client, routine)

    assert planned(body["session"])[:2] == [("lying-hip-flexor-stretch", "both")] * 2
    assert planned(body["session"])[2] == ("band-march", "both")


def test_planned_sets_of_an_earlier_start_do_not_change_the_advice(
    user_client, user, routine, king_runner, half_kneeling
):
    log_session(user, king_runner, day=0, pains=[5, 0])
    # Two starts left untouched are plans, not sessions: the painful one stays recent.
    started(user_client, routine)
    started(user_client, routine)

    body = started(user_client, routine)

    assert body["adjustments"][0]["action"] == "milder"


def test_a_retry_with_the_same_id_returns_the_stored_session(
    user_client, user, routine, king_runner, half_kneeling
):
    log_session(user, king_runner, pains=[4, 0])
    session_id = str(uuid.uuid4())

    first = started(user_client, routine, id=session_id)
    retry = start(user_client, routine, id=session_id)

    assert first["session"]["id"] == session_id
    assert retry.status_code == 200
    assert retry.json()["session"] == first["session"]
    assert WorkoutSession.objects.filter(routine=routine).count() == 1


def test_anothers_id_is_409(user_client, other_client, routine):
    session_id = str(uuid.uuid4())
    started(other_client, routine, id=session_id)

    assert start(user_client, routine, id=session_id).status_code == 409
    assert WorkoutSession.objects.count() == 1


def test_the_session_keeps_the_plan_when_the_routine_changes_later(
    user_client, trainer_client, routine, king_runner
):
    session = started(user_client, routine, started_at="2025-03-05T07:00:00Z")["session"]

    response = trainer_client.patch(
        f"/api/v1/routines/{routine.pk}/",
        {
            "name": "Renamed",
            "items": [{"exercise": king_runner.slug, "sets": 1, "hold_seconds": 90}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert len(response.json()["items"]) == 1

    stored = user_client.get(f"/api/v1/sessions/{session['id']}/").json()
    assert stored["started_at"] == "2025-03-05T07:00:00Z"
    assert stored["routine_name"] == "Desk Worker's Hips"
    assert stored["sets"] == session["sets"]
    assert len(stored["sets"]) == 7
    assert stored["sets"][0]["hold_seconds"] == 45


def test_the_started_session_is_listed_and_synced(user_client, other_client, routine):
    session_id = started(user_client, routine)["session"]["id"]

    listed = user_client.get("/api/v1/sessions/").json()["results"]
    assert [s["id"] for s in listed] == [session_id]
    assert len(listed[0]["sets"]) == 7

    synced = user_client.get("/api/v1/sync/").json()
    assert [s["id"] for s in synced["sessions"]] == [session_id]
    assert {e["slug"] for e in synced["exercises"]} >= {"king-runner", "band-march"}

    assert other_client.get("/api/v1/sessions/").json()["results"] == []
    assert other_client.get("/api/v1/sync/").json()["sessions"] == []


def test_started_session_sets_can_be_marked_done_and_then_count_for_advice(
    user_client, routine, king_runner, half_kneeling
):
    session = started(user_client, routine)["session"]
    sets = [
        {**s, "done": True, "pain": 5 if s["exercise"] == "king-runner" else 0}
        for s in session["sets"]
    ]
    response = user_client.patch(
        f"/api/v1/sessions/{session['id']}/",
        {"sets": sets},
        format="json",
        HTTP_IF_MATCH=f'"{session["version"]}"',
    )
    assert response.status_code == 200, response.json()

    advice = user_client.get(f"/api/v1/exercises/{king_runner.slug}/advice/").json()
    assert advice["action"] == "milder"
