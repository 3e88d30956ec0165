"""POST /api/v1/routines/{id}/start/: a session planned from a routine as prescribed now, with
the milder option in place of an exercise that hurt lately (unless kept), a caution where no
milder option suits, and the harder one proposed after easy weeks (taken only if accepted)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exercises.models import Routine
from sessions.models import WorkoutSession
from sessions.services import session_start_from_routine
from tests.conftest import (
    SESSIONS_URL,
    SYNC_URL,
    advice_url,
    routine_url,
    session_url,
)
from tests.factories import (
    ExerciseFactory,
    ExerciseProgressionFactory,
    RoutineFactory,
    RoutineItemFactory,
)
from tests.helpers import assert_error, error_fields
from tests.sessions.conftest import log_easy_sessions, log_session

pytestmark = pytest.mark.django_db


def start(client, routine, **body):
    return client.post(routine_url(routine, "start/"), body, format="json")


def started(client, routine, **body):
    response = start(client, routine, **body)
    assert response.status_code == 201, response.json()
    return response.json()


def planned(session):
    return [(s["exercise"], s["side"]) for s in session["sets"]]


@pytest.fixture
def routine(king_runner, band_march):
    """A published curated routine: the King Runner, held, then Band Marches for reps."""
    routine = RoutineFactory(name="Desk Worker's Hips")
    RoutineItemFactory(
        routine=routine,
        position=1,
        exercise=king_runner,
        sets=2,
        hold_seconds=45,
        reps_per_side=None,
        rest_seconds=15,
        notes="Sit tall.",
    )
    RoutineItemFactory(
        routine=routine,
        position=2,
        exercise=band_march,
        sets=3,
        hold_seconds=None,
        reps_per_side=12,
        rest_seconds=30,
    )
    return routine


def test_anonymous_caller_is_401_and_starts_nothing(api_client, routine):
    assert start(api_client, routine).status_code == 401
    assert not WorkoutSession.objects.exists()


def test_starting_an_unpublished_curated_routine_is_refused(trainer_client):
    draft = RoutineItemFactory(routine__published=False).routine

    response = start(trainer_client, draft)

    assert error_fields(response) == {"routine"}
    assert not WorkoutSession.objects.exists()


def test_planned_sets_follow_the_prescription_per_side(user_client, user, routine):
    response = start(user_client, routine)
    assert response.status_code == 201, response.json()
    body = response.json()
    session = body["session"]

    assert response["Location"] == session_url(session["id"])
    assert WorkoutSession.objects.get().user == user
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


def test_a_one_sided_exercise_for_reps_is_planned_with_its_reps_on_each_side(user_client):
    routine = RoutineFactory()
    RoutineItemFactory(
        routine=routine,
        exercise__slug="side-march",
        exercise__unilateral=True,
        sets=2,
        reps_per_side=10,
        hold_seconds=None,
    )

    session = started(user_client, routine)["session"]

    assert [(s["exercise"], s["side"], s["reps"], s["hold_seconds"]) for s in session["sets"]] == [
        ("side-march", "left", 10, None),
        ("side-march", "right", 10, None),
    ] * 2


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


def test_pain_of_1_is_enough_to_swap_in_the_milder_option(
    user_client, user, routine, king_runner, half_kneeling
):
    log_session(user, king_runner, pains=[1, 1])

    (adjustment,) = started(user_client, routine)["adjustments"]

    assert (adjustment["action"], adjustment["applied"]) == ("milder", True)
    assert adjustment["painful_side"] is None


def test_pain_older_than_the_recent_days_changes_nothing(
    user_client, user, routine, king_runner, half_kneeling
):
    log_session(user, king_runner, days_ago=29, pains=[8, 8])

    body = started(user_client, routine)

    assert body["adjustments"] == []
    assert planned(body["session"])[0] == ("king-runner", "left")


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


def test_pain_without_a_milder_option_is_a_caution_that_changes_no_set(
    user_client, user, routine, king_runner
):
    log_session(user, king_runner, pains=[0, 7])

    body = started(user_client, routine)

    assert body["adjustments"] == [
        {
            "position": 0,
            "exercise": {"slug": "king-runner", "name": "King Runner"},
            "suggested": None,
            "action": "caution",
            "reason": body["adjustments"][0]["reason"],
            "painful_side": "right",
            "applied": False,
        }
    ]
    assert "ease off" in body["adjustments"][0]["reason"]
    assert planned(body["session"])[:4] == [("king-runner", "left"), ("king-runner", "right")] * 2


def test_a_milder_option_that_hurt_too_is_a_caution(
    user_client, user, routine, king_runner, half_kneeling
):
    log_session(user, half_kneeling, days_ago=3, pains=[2, 0])
    log_session(user, king_runner, days_ago=1, pains=[5, 5])

    (adjustment,) = started(user_client, routine)["adjustments"]

    assert (adjustment["action"], adjustment["suggested"], adjustment["applied"]) == (
        "caution",
        None,
        False,
    )
    assert "milder options hurt too" in adjustment["reason"]


def test_easy_sessions_of_the_milder_option_since_the_pain_keep_the_exercise(
    user_client, user, routine, king_runner, half_kneeling
):
    log_session(user, king_runner, days_ago=10, pains=[5, 0])
    log_easy_sessions(user, half_kneeling, 8, 7, 6)

    body = started(user_client, routine)

    # "Try it again, gently" is a keep: nothing to adjust.
    assert body["adjustments"] == []
    assert planned(body["session"])[0] == ("king-runner", "left")


def test_easy_sessions_only_propose_the_harder_option(
    user_client, user, routine, king_runner, couch_stretch
):
    log_easy_sessions(user, king_runner, 3, 2, 1)

    body = started(user_client, routine)

    (adjustment,) = body["adjustments"]
    assert adjustment["action"] == "harder"
    assert adjustment["suggested"] == {
        "slug": "elevated-couch-stretch",
        "name": "Elevated Couch Stretch",
    }
    assert adjustment["painful_side"] is None
    assert adjustment["applied"] is False
    assert planned(body["session"])[:4] == [("king-runner", "left"), ("king-runner", "right")] * 2


def test_accept_puts_the_harder_option_in_its_place(
    user_client, user, routine, king_runner, couch_stretch
):
    log_easy_sessions(user, king_runner, 3, 2, 1)

    body = started(user_client, routine, accept=["king-runner"])

    (adjustment,) = body["adjustments"]
    assert (adjustment["action"], adjustment["applied"]) == ("harder", True)
    assert (
        planned(body["session"])[:4]
        == [
            ("elevated-couch-stretch", "left"),
            ("elevated-couch-stretch", "right"),
        ]
        * 2
    )
    # The harder option takes the prescribed dose too.
    assert body["session"]["sets"][0]["hold_seconds"] == 45


def test_keep_does_not_take_the_harder_option(
    user_client, user, routine, king_runner, couch_stretch
):
    log_easy_sessions(user, king_runner, 3, 2, 1)

    body = started(user_client, routine, keep=["king-runner"])

    (adjustment,) = body["adjustments"]
    assert (adjustment["action"], adjustment["applied"]) == ("harder", False)
    assert planned(body["session"])[0] == ("king-runner", "left")


def test_accept_without_a_harder_proposal_changes_nothing(user_client, routine, band_march):
    body = started(user_client, routine, accept=["band-march"])

    assert body["adjustments"] == []
    assert planned(body["session"])[-1] == ("band-march", "both")


def test_a_start_never_proposes_a_harder_option_that_hurt(user_client, user, band_march):
    """The review's regression: moved up from the Half-Kneeling Stretch to the King Runner,
    which then hurt, the user must not be sent back up to it."""
    half_kneeling = ExerciseFactory(name="Half-Kneeling Stretch", unilateral=True)
    king_runner = ExerciseFactory(name="King Runner", unilateral=True, difficulty=2)
    ExerciseProgressionFactory(milder=half_kneeling, harder=king_runner)
    routine = RoutineFactory(name="Basics")
    RoutineItemFactory(routine=routine, position=1, exercise=half_kneeling, sets=1)
    log_easy_sessions(user, half_kneeling, 6, 5, 4)
    (proposal,) = started(user_client, routine)["adjustments"]
    assert (proposal["action"], proposal["suggested"]["slug"]) == ("harder", "king-runner")

    log_session(user, king_runner, days_ago=3, pains=[8, 8])

    body = started(user_client, routine, accept=["half-kneeling-stretch"])
    assert body["adjustments"] == []
    assert {slug for slug, _ in planned(body["session"])} == {"half-kneeling-stretch"}
    advice = user_client.get(advice_url(half_kneeling.slug)).json()
    assert (advice["action"], advice["suggested"]) == ("keep", None)


@pytest.mark.parametrize("field", ["keep", "accept"])
def test_naming_an_exercise_outside_the_routine_is_a_400_and_starts_nothing(
    user_client, user, routine, king_runner, half_kneeling, field
):
    log_session(user, king_runner, pains=[4, 4])
    sessions_before = WorkoutSession.objects.count()

    response = start(user_client, routine, **{field: ["king-runner", "not-in-this-routine"]})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert "not-in-this-routine" in errors[0]["message"]
    assert "king-runner" not in errors[0]["message"]
    assert WorkoutSession.objects.count() == sessions_before


def test_a_draft_exercise_of_a_published_routine_is_left_out_for_a_user(
    user_client, user, routine, king_runner
):
    draft = ExerciseFactory(name="Draft Bridge", published=False)
    RoutineItemFactory(routine=routine, position=3, exercise=draft, sets=2)

    body = started(user_client, routine)

    assert "draft-bridge" not in {slug for slug, _ in planned(body["session"])}
    assert len(body["session"]["sets"]) == 7
    # Nor can the user name it: for them, it is not in the routine.
    response = start(user_client, routine, keep=["draft-bridge"])
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["keep"]


def test_a_draft_exercise_of_a_published_routine_is_planned_for_a_trainer(trainer_client, routine):
    draft = ExerciseFactory(name="Draft Bridge", published=False)
    RoutineItemFactory(routine=routine, position=3, exercise=draft, sets=2)

    body = started(trainer_client, routine)

    assert planned(body["session"])[-2:] == [("draft-bridge", "both")] * 2


def test_the_service_leaves_out_draft_exercises_for_a_user(user, routine, king_runner):
    # Called directly, with a routine fetched afresh: not relying on the view's prefetch.
    RoutineItemFactory(
        routine=routine, position=3, exercise=ExerciseFactory(published=False), sets=2
    )

    session, _ = session_start_from_routine(user=user, routine=Routine.objects.get(pk=routine.pk))

    assert set(session.sets.values_list("exercise__slug", flat=True)) == {
        "king-runner",
        "band-march",
    }


def test_adjustment_positions_count_the_items_the_user_gets(user_client, user, band_march):
    routine = RoutineFactory(name="Draft First")
    draft = ExerciseFactory(name="Draft Bridge", published=False)
    RoutineItemFactory(routine=routine, position=1, exercise=draft)
    RoutineItemFactory(routine=routine, position=2, exercise=band_march)
    milder_march = ExerciseFactory(name="Seated March")
    ExerciseProgressionFactory(milder=milder_march, harder=band_march)
    log_session(user, band_march, pains=[3])

    body = started(user_client, routine)

    # The same positions as the routine's items as the user sees them.
    shown = user_client.get(routine_url(routine)).json()["items"]
    (adjustment,) = body["adjustments"]
    assert shown[adjustment["position"]]["exercise"] == "band-march"


def test_a_two_sided_milder_option_is_planned_once_per_set(
    user_client, user, routine, king_runner, lying_stretch
):
    log_session(user, king_runner, pains=[6, 6])

    body = started(user_client, routine)

    assert planned(body["session"])[:2] == [("lying-hip-flexor-stretch", "both")] * 2
    assert planned(body["session"])[2] == ("band-march", "both")


def test_planned_sets_of_an_earlier_start_do_not_change_the_advice(
    user_client, user, routine, king_runner, half_kneeling
):
    log_session(user, king_runner, days_ago=1, pains=[5, 0])
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


def test_a_deleted_sessions_id_is_410_and_starts_nothing(user_client, routine):
    session_id = started(user_client, routine)["session"]["id"]
    assert user_client.delete(session_url(session_id)).status_code == 204

    response = start(user_client, routine, id=session_id)

    assert_error(response, 410, "gone")
    assert WorkoutSession.objects.count() == 1


def test_a_start_with_the_routine_lists_query_is_told_it_is_not_its_own(user_client, routine):
    # The list's filters (scope=mine) are for GET /routines/; a start names one routine.
    url = routine_url(routine, "start/") + "?scope=mine"

    refused = assert_error(user_client.post(url, {}, format="json"), 400, "invalid")

    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("scope", "unknown")]
    assert not WorkoutSession.objects.exists()


def test_the_session_keeps_the_plan_when_the_routine_changes_later(
    user_client, trainer_client, routine, king_runner
):
    session = started(user_client, routine, started_at="2025-03-05T07:00:00Z")["session"]

    response = trainer_client.patch(
        routine_url(routine),
        {
            "name": "Renamed",
            "items": [{"exercise": king_runner.slug, "sets": 1, "hold_seconds": 90}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert len(response.json()["items"]) == 1

    stored = user_client.get(session_url(session["id"])).json()
    assert stored["started_at"] == "2025-03-05T07:00:00Z"
    assert stored["routine_name"] == "Desk Worker's Hips"
    assert stored["sets"] == session["sets"]
    assert len(stored["sets"]) == 7
    assert stored["sets"][0]["hold_seconds"] == 45


def test_the_started_session_is_listed_and_synced(user_client, other_client, routine):
    session_id = started(user_client, routine)["session"]["id"]

    listed = user_client.get(SESSIONS_URL).json()["results"]
    assert [s["id"] for s in listed] == [session_id]
    assert len(listed[0]["sets"]) == 7

    synced = user_client.get(SYNC_URL).json()
    assert [s["id"] for s in synced["sessions"]] == [session_id]
    assert {e["slug"] for e in synced["exercises"]} >= {"king-runner", "band-march"}

    assert other_client.get(SESSIONS_URL).json()["results"] == []
    assert other_client.get(SYNC_URL).json()["sessions"] == []


def test_started_session_sets_can_be_marked_done_and_then_count_for_advice(
    user_client, routine, king_runner, half_kneeling
):
    session = started(user_client, routine)["session"]
    sets = [
        {**s, "done": True, "pain": 5 if s["exercise"] == "king-runner" else 0}
        for s in session["sets"]
    ]
    response = user_client.patch(
        session_url(session["id"]),
        {"sets": sets},
        format="json",
        HTTP_IF_MATCH=f'"{session["version"]}"',
    )
    assert response.status_code == 200, response.json()

    advice = user_client.get(advice_url(king_runner.slug)).json()
    assert advice["action"] == "milder"


def test_start_costs_the_same_queries_whatever_the_routines_length(user_client, king_runner):
    def queries_to_start(items):
        routine = RoutineFactory()
        for position in range(items):
            RoutineItemFactory(routine=routine, position=position + 1)
        with CaptureQueriesContext(connection) as captured:
            started(user_client, routine)
        return len(captured.captured_queries)

    queries_to_start(1)  # Warm up the caller's permission cache.
    # The service loads the items with their exercises itself, and the answer is made from the
    # sets it wrote: neither costs a query per item.
    assert queries_to_start(10) == queries_to_start(1)


def test_the_answer_to_a_start_is_what_reading_the_session_gives(user_client, routine):
    response = start(user_client, routine, started_at="2025-03-01T12:30:00.5+05:30")
    assert response.status_code == 201, response.json()

    read = user_client.get(response["Location"])
    assert response.json()["session"] == read.json()
    assert response["ETag"] == read["ETag"]


def test_deleting_the_routine_leaves_its_sessions_exactly_as_they_were(user_client, user):
    routine = RoutineFactory(owner=user, published=False)
    RoutineItemFactory(routine=routine, hold_seconds=30, reps_per_side=None)
    session_id = started(user_client, routine)["session"]["id"]
    before = user_client.get(session_url(session_id))

    assert user_client.delete(routine_url(routine)).status_code == 204
    after = user_client.get(session_url(session_id))

    assert after.json() == before.json()
    assert after["ETag"] == before["ETag"]
    assert after.json()["routine"] == routine.pk
