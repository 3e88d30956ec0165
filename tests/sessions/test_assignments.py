"""Programs: a trainer prescribes a routine on a schedule, the client sees what is due each
day in their time zone, starts a session from it, and their devices follow by sync."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exercises.models import Routine
from sessions.models import Assignment, WorkoutSession
from tests.conftest import api_client_for
from tests.factories import (
    AssignmentFactory,
    AssignmentItemFactory,
    CoachingLinkFactory,
    ExerciseFactory,
    RoutineFactory,
    RoutineItemFactory,
    UserFactory,
)
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

# A Monday, at noon in the client's time zone (UTC by default).
MONDAY = date(2026, 11, 30)
PLAN_URL = "/api/v1/me/plan/"
MY_ASSIGNMENTS_URL = "/api/v1/me/assignments/"
SYNC_URL = "/api/v1/sync/"


def assignments_url(link, assignment=None):
    base = f"/api/v1/coaching/clients/{link.pk}/assignments/"
    return base if assignment is None else f"{base}{assignment}/"


def start_url(assignment_id):
    return f"{MY_ASSIGNMENTS_URL}{assignment_id}/start/"


@pytest.fixture
def link(trainer):
    return CoachingLinkFactory(trainer=trainer, client=UserFactory(display_name="Ann"))


@pytest.fixture
def client_api(link):
    return api_client_for(link.client)


@pytest.fixture
def routine(db):
    """The article's pair: the one-sided King Runner by reps, then a two-sided hold."""
    routine = RoutineFactory(name="Hip flexor basics")
    RoutineItemFactory(
        routine=routine,
        position=1,
        exercise=ExerciseFactory(name="King Runner", unilateral=True),
        sets=2,
        reps_per_side=8,
        hold_seconds=None,
    )
    RoutineItemFactory(
        routine=routine, position=2, exercise=ExerciseFactory(name="Glute Bridge"), hold_seconds=30
    )
    return routine


def assign(trainer_client, link, routine, **body):
    body = {"routine": routine.pk, "start_date": str(MONDAY), **body}
    return trainer_client.post(assignments_url(link), body, format="json")


@pytest.fixture
def program(trainer_client, link, routine):
    """Daily from Monday, twice a day, 10 reps per side of the King Runner."""
    with time_machine.travel(f"{MONDAY}T12:00:00Z", tick=False):
        response = assign(
            trainer_client,
            link,
            routine,
            times_per_day=2,
            note="Stop if it pinches.",
            items=[{"position": 1, "reps_per_side": 10}],
        )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_trainer_prescribes_a_routine_and_the_client_gets_a_copy_with_the_dose_changed(
    trainer_client, client_api, link, routine, program
):
    items = program["items"]
    assert [(i["exercise_name"], i["sets"], i["reps_per_side"]) for i in items] == [
        ("King Runner", 2, 10),
        ("Glute Bridge", 1, None),
    ]
    assert program["days_of_week"] == [1, 2, 3, 4, 5, 6, 7]
    assert (program["times_per_day"], program["paused"], program["version"]) == (2, False, 1)
    # The routine changes later; the program does not.
    routine.items.filter(position=1).update(reps_per_side=3)

    mine = client_api.get(MY_ASSIGNMENTS_URL).json()["results"]

    assert [a["id"] for a in mine] == [program["id"]]
    assert mine[0]["items"][0]["reps_per_side"] == 10
    assert mine[0]["trainer_name"] == link.trainer.get_full_name()
    assert mine[0]["note"] == "Stop if it pinches."
    one = trainer_client.get(assignments_url(link, program["id"]))
    assert one["ETag"] == '"1"'


def test_only_a_published_curated_routine_or_the_trainers_own_can_be_prescribed(
    trainer, trainer_client, link, routine
):
    draft = RoutineFactory(published=False)
    RoutineItemFactory(routine=draft)
    someone_elses = RoutineFactory(owner=link.client)
    RoutineItemFactory(routine=someone_elses)
    own = RoutineFactory(owner=trainer)
    RoutineItemFactory(routine=own)

    for refused in (draft, someone_elses):
        body = assert_error(assign(trainer_client, link, refused), 400, "invalid")
        assert body["errors"][0]["field"] == "routine"
    assert assign(trainer_client, link, own).status_code == 201
    assert Assignment.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"days_of_week": [0]}, "days_of_week.0"),
        ({"days_of_week": [8]}, "days_of_week.0"),
        ({"days_of_week": [1, 1]}, "days_of_week"),
        ({"days_of_week": []}, "days_of_week"),
        ({"days_of_week": ["1"]}, "days_of_week.0"),
        ({"times_per_day": 7}, "times_per_day"),
        ({"end_date": str(MONDAY - timedelta(days=1))}, "end_date"),
        ({"start_date": "1969-12-31"}, "start_date"),
        ({"items": [{"position": 9, "sets": 2}]}, "items.0.position"),
        ({"items": [{"position": 1}, {"position": 1}]}, "items"),
        ({"items": [{"position": 1, "reps_per_side": None}]}, "items.0"),
        ({"items": [{"position": 1, "sets": 21}]}, "items.0.sets"),
    ],
)
def test_a_schedule_or_dose_it_cannot_hold_is_a_400_naming_the_field(
    trainer_client, link, routine, body, field
):
    response = assign(trainer_client, link, routine, **body)

    body = assert_error(response, 400, "invalid")
    assert field in {error["field"] for error in body["errors"]}, body
    assert not Assignment.objects.exists()


def test_doses_a_session_could_not_hold_are_a_422(trainer_client, link, routine, settings):
    settings.MAX_SETS_PER_SESSION = 5  # 2 sets per side of the King Runner, and the bridge.

    response = assign(trainer_client, link, routine, items=[{"position": 1, "sets": 3}])

    assert "MAX_SETS_PER_SESSION" in assert_error(response, 422, "unprocessable")["detail"]
    assert not Assignment.objects.exists()


def test_a_client_holds_at_most_max_assignments_per_client(trainer_client, link, routine, settings):
    settings.MAX_ASSIGNMENTS_PER_CLIENT = 1
    assert assign(trainer_client, link, routine).status_code == 201

    response = assign(trainer_client, link, routine)

    assert "MAX_ASSIGNMENTS_PER_CLIENT" in assert_error(response, 422, "unprocessable")["detail"]
    assert Assignment.objects.count() == 1


def _plan(client, day):
    response = client.get(PLAN_URL, {"date": str(day)})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_plan_shows_each_time_a_program_is_due_on_its_days_only(
    trainer_client, client_api, link, routine
):
    weekdays = assign(
        trainer_client,
        link,
        routine,
        days_of_week=[1, 3, 5],
        end_date=str(MONDAY + timedelta(days=7)),
    ).json()

    monday = _plan(client_api, MONDAY)
    assert [(o["assignment"], o["occurrence"], o["status"]) for o in monday["occurrences"]] == [
        (weekdays["id"], 1, "due")
    ]
    assert monday["occurrences"][0]["items"][0]["exercise"] == "king-runner"
    assert not _plan(client_api, MONDAY + timedelta(days=1))["occurrences"]  # A Tuesday.
    assert not _plan(client_api, MONDAY - timedelta(days=2))["occurrences"]  # Before it.
    assert _plan(client_api, MONDAY + timedelta(days=7))["occurrences"]  # Its last day.
    assert not _plan(client_api, MONDAY + timedelta(days=9))["occurrences"]  # Over.


def test_starting_a_program_plans_its_sets_and_fulfils_the_first_time_without_a_session(
    client_api, program
):
    with time_machine.travel(f"{MONDAY}T08:00:00Z", tick=False):
        first = client_api.post(start_url(program["id"]), {}, format="json")
        session = first.json()["session"]
        # Its first set done: that time of the day is done.
        done = [{**s, "done": n == 0} for n, s in enumerate(session["sets"])]
        client_api.patch(f"/api/v1/sessions/{session['id']}/", {"sets": done}, format="json")
        second = client_api.post(start_url(program["id"]), {}, format="json")
        third = client_api.post(start_url(program["id"]), {}, format="json")
        plan = _plan(client_api, MONDAY)

    assert first.status_code == 201, first.content
    assert first["Location"] == f"/api/v1/sessions/{session['id']}/"
    assert (session["assignment"], session["occurrence_date"], session["occurrence"]) == (
        program["id"],
        str(MONDAY),
        1,
    )
    assert session["routine"] is None
    assert session["routine_name"] == "Hip flexor basics"
    assert [(s["exercise"], s["side"], s["reps"], s["done"]) for s in session["sets"]] == [
        ("king-runner", "left", 10, False),
        ("king-runner", "right", 10, False),
        ("king-runner", "left", 10, False),
        ("king-runner", "right", 10, False),
        ("glute-bridge", "both", None, False),
    ]
    assert second.json()["session"]["occurrence"] == 2
    assert assert_error(third, 409, "occurrence_done")
    assert [(o["occurrence"], o["status"]) for o in plan["occurrences"]] == [
        (1, "done"),
        (2, "started"),
    ]
    assert plan["occurrences"][0]["session"] == session["id"]


def test_a_retried_start_gets_the_stored_session_and_plans_nothing_twice(client_api, program):
    body = {"id": "5e0f7a52-7a1e-4c1e-9c6d-0b6f0d1f0a01", "started_at": f"{MONDAY}T08:00:00Z"}

    first = client_api.post(start_url(program["id"]), body, format="json")
    retry = client_api.post(start_url(program["id"]), body, format="json")

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["session"] == first.json()["session"]
    assert WorkoutSession.objects.count() == 1


def test_a_late_evening_session_counts_for_that_local_day(client_api, link, program):
    link.client.time_zone = "America/Los_Angeles"
    link.client.save()
    # 23:30 on Monday in California is Tuesday morning in UTC.
    body = {"started_at": f"{MONDAY}T23:30:00-08:00"}

    session = client_api.post(start_url(program["id"]), body, format="json").json()["session"]

    assert session["occurrence_date"] == str(MONDAY)
    assert _plan(client_api, MONDAY)["occurrences"][0]["status"] == "started"
    assert _plan(client_api, MONDAY + timedelta(days=1))["occurrences"][0]["status"] == "due"


def test_a_day_or_time_the_program_does_not_ask_for_cannot_be_started(
    trainer_client, client_api, link, routine
):
    weekly = assign(trainer_client, link, routine, days_of_week=[1]).json()
    on_monday = {"started_at": f"{MONDAY}T09:00:00Z"}
    tuesday = {**on_monday, "date": str(MONDAY + timedelta(days=1))}

    body = assert_error(
        client_api.post(start_url(weekly["id"]), tuesday, format="json"), 400, "invalid"
    )
    assert body["errors"][0]["field"] == "date"
    third = {**on_monday, "date": str(MONDAY), "occurrence": 2}
    body = assert_error(
        client_api.post(start_url(weekly["id"]), third, format="json"), 400, "invalid"
    )
    assert body["errors"][0]["field"] == "occurrence"
    # A missed Monday is not filled in days later.
    late = {"started_at": f"{MONDAY + timedelta(days=3)}T09:00:00Z", "date": str(MONDAY)}
    body = assert_error(
        client_api.post(start_url(weekly["id"]), late, format="json"), 400, "invalid"
    )
    assert body["errors"][0]["field"] == "date"
    assert not WorkoutSession.objects.exists()


def test_a_retried_start_gets_its_session_even_after_the_program_ended(
    trainer_client, client_api, link, program
):
    body = {"id": "5e0f7a52-7a1e-4c1e-9c6d-0b6f0d1f0a02", "started_at": f"{MONDAY}T08:00:00Z"}
    first = client_api.post(start_url(program["id"]), body, format="json")
    trainer_client.delete(assignments_url(link, program["id"]))

    retry = client_api.post(start_url(program["id"]), body, format="json")

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["session"]["id"] == body["id"]


def test_a_paused_program_asks_for_nothing_until_it_resumes(
    trainer_client, client_api, link, program
):
    url = assignments_url(link, program["id"])
    with time_machine.travel(f"{MONDAY + timedelta(days=2)}T09:00:00Z", tick=False):
        paused = trainer_client.patch(url, {"paused": True}, format="json").json()
    with time_machine.travel(f"{MONDAY + timedelta(days=5)}T09:00:00Z", tick=False):
        resumed = trainer_client.patch(url, {"paused": False}, format="json").json()

    assert (paused["paused"], paused["paused_from"]) == (True, str(MONDAY + timedelta(days=2)))
    assert (resumed["paused"], resumed["version"]) == (False, 3)
    due = {
        day: bool(_plan(client_api, MONDAY + timedelta(days=day))["occurrences"])
        for day in range(7)
    }
    # The days it was paused stay free of it after it resumed.
    assert due == {0: True, 1: True, 2: False, 3: False, 4: False, 5: True, 6: True}


def test_a_trainers_change_keeps_what_it_does_not_name_and_honours_if_match(
    trainer_client, client_api, link, program
):
    url = assignments_url(link, program["id"])

    stale = trainer_client.patch(url, {"times_per_day": 1}, format="json", HTTP_IF_MATCH='"7"')
    changed = trainer_client.patch(
        url,
        {"days_of_week": [2, 4], "items": [{"position": 2, "hold_seconds": 45}]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert_error(stale, 412, "precondition_failed")
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["days_of_week"], body["times_per_day"], body["version"]) == ([2, 4], 2, 2)
    assert [(i["reps_per_side"], i["hold_seconds"]) for i in body["items"]] == [
        (10, None),
        (None, 45),
    ]
    assert changed["ETag"] == '"2"'
    assert client_api.get(f"{MY_ASSIGNMENTS_URL}{program['id']}/").json() == body


def _synced(client, since=None):
    response = client.get(SYNC_URL, {"since": since} if since else {})
    assert response.status_code == 200, response.content
    return response.json()


def test_sync_hands_programs_their_changes_and_their_end_to_the_clients_devices(
    trainer_client, client_api, link, program
):
    first = _synced(client_api)
    assert [a["id"] for a in first["assignments"]] == [program["id"]]
    url = assignments_url(link, program["id"])
    trainer_client.patch(url, {"note": "Slower on the way down."}, format="json")

    changed = _synced(client_api, first["next_cursor"])
    trainer_client.delete(url)
    ended = _synced(client_api, changed["next_cursor"])

    assert [(a["note"], a["version"]) for a in changed["assignments"]] == [
        ("Slower on the way down.", 2)
    ]
    assert ended["assignments"] == []
    assert [(a["id"], a["version"]) for a in ended["deleted_assignments"]] == [(program["id"], 3)]
    assert client_api.get(MY_ASSIGNMENTS_URL).json()["results"] == []
    assert trainer_client.get(url).status_code == 404


def test_ending_the_link_ends_its_programs_for_both_sides(
    trainer_client, client_api, link, program
):
    cursor = _synced(client_api)["next_cursor"]

    assert client_api.delete(f"/api/v1/me/trainers/{link.pk}/").status_code == 204

    assert client_api.get(MY_ASSIGNMENTS_URL).json()["results"] == []
    assert not _plan(client_api, MONDAY)["occurrences"]
    assert [a["id"] for a in _synced(client_api, cursor)["deleted_assignments"]] == [program["id"]]
    assert client_api.post(start_url(program["id"]), {}, format="json").status_code == 404
    assert trainer_client.get(assignments_url(link)).status_code == 404


def test_deleting_the_trainers_account_ends_the_programs_they_prescribed(
    trainer, client_api, program
):
    cursor = _synced(client_api)["next_cursor"]

    api_client_for(trainer).delete("/api/v1/me/", {"password": "pw-hipflex-test"}, format="json")

    assert not type(trainer).objects.filter(pk=trainer.pk).exists()
    assert [a["id"] for a in _synced(client_api, cursor)["deleted_assignments"]] == [program["id"]]
    assert client_api.get(MY_ASSIGNMENTS_URL).json()["results"] == []


def test_a_bad_plan_date_is_a_400(client_api):
    body = assert_error(client_api.get(PLAN_URL, {"date": "2026-02-30"}), 400, "invalid")
    assert body["errors"][0]["field"] == "date"


def _plan_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PLAN_URL, {"date": str(MONDAY)}).status_code == 200
    return len(queries)


def test_the_plan_takes_the_same_queries_however_many_programs_and_sessions(link):
    client = api_client_for(link.client)
    AssignmentItemFactory(assignment=AssignmentFactory(link=link, start_date=MONDAY))
    few = _plan_queries(client)
    for _ in range(4):
        assignment = AssignmentFactory(link=link, start_date=MONDAY, times_per_day=3)
        AssignmentItemFactory.create_batch(3, assignment=assignment)
    started = {"date": str(MONDAY), "started_at": f"{MONDAY}T09:00:00Z"}
    assert client.post(start_url(assignment.pk), started, format="json").status_code == 201

    assert _plan_queries(client) == few


def test_the_seeds_sample_program_runs_daily_for_three_weeks_when_assigned_as_it_is(
    trainer_client, link
):
    call_command("seed_catalog", verbosity=0)
    reset = Routine.objects.get(owner=None, name="Hip Flexor Reset")

    response = assign(trainer_client, link, reset)
    open_ended = assign(trainer_client, link, reset, end_date=None)

    assert response.status_code == 201, response.content
    program = response.json()
    assert (program["start_date"], program["end_date"]) == (str(MONDAY), "2026-12-20")
    assert program["days_of_week"] == [1, 2, 3, 4, 5, 6, 7]
    assert [item["exercise"] for item in program["items"]] == [
        "strengthener-with-a-band",
        "half-kneeling-stretch",
        "king-runner",
        "gravity-assisted-stretch",
    ]
    assert open_ended.json()["end_date"] is None


def test_a_clients_device_revalidates_a_program_with_its_etag(client_api, program):
    url = f"{MY_ASSIGNMENTS_URL}{program['id']}/"

    first = client_api.get(url)
    again = client_api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert (first.status_code, first["ETag"]) == (200, '"1"')
    assert (again.status_code, again["ETag"]) == (304, '"1"')


def test_a_trainer_deleted_in_the_admin_still_ends_the_clients_programs(
    trainer, client_api, program
):
    cursor = _synced(client_api)["next_cursor"]

    trainer.delete()  # Not through the API: no link ended first.

    assert [a["id"] for a in _synced(client_api, cursor)["deleted_assignments"]] == [program["id"]]
