"""One set of limits on every path that writes sessions: a routine's start plans no more sets
than a session may hold, however the routine was written."""

import pytest
from django.conf import settings

from exercises.models import Routine
from sessions.models import SetLog, WorkoutSession
from tests.conftest import ROUTINES_URL, routine_url
from tests.factories import ExerciseFactory, RoutineItemFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def _items(exercise, count, sets):
    return [{"exercise": exercise.slug, "sets": sets, "hold_seconds": 30} for _ in range(count)]


def test_a_routine_whose_start_would_plan_too_many_sets_is_refused(user_client):
    one_sided = ExerciseFactory(unilateral=True)
    # 50 items x 20 sets x 2 sides: 2,000 sets, ten times what an upload may hold.
    body = {"name": "Too much", "items": _items(one_sided, 50, 20)}

    refused = assert_error(user_client.post(ROUTINES_URL, body, format="json"), 400, "invalid")

    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("items", "max_sets")]
    assert str(settings.MAX_SETS_PER_SESSION) in refused["errors"][0]["message"]
    assert not Routine.objects.exists()


def test_a_routine_that_plans_exactly_the_limit_is_taken_and_starts(user_client):
    limit = settings.MAX_SETS_PER_SESSION
    one_sided = ExerciseFactory(unilateral=True)
    body = {"name": "Just so", "items": _items(one_sided, limit // 20, 10)}

    created = user_client.post(ROUTINES_URL, body, format="json")
    assert created.status_code == 201, created.json()
    routine = Routine.objects.get()
    started = user_client.post(routine_url(routine, "start/"), {}, format="json")

    assert started.status_code == 201
    assert len(started.json()["session"]["sets"]) == limit


def test_starting_a_routine_stored_over_the_limit_is_a_422_that_saves_nothing(user, user_client):
    # As a routine written before the limit, or through the admin, might be.
    item = RoutineItemFactory(
        routine__owner=user, exercise=ExerciseFactory(unilateral=True), sets=20
    )
    for _ in range(5):
        RoutineItemFactory(routine=item.routine, exercise=item.exercise, sets=20)

    response = user_client.post(routine_url(item.routine, "start/"), {}, format="json")

    body = assert_error(response, 422, "unprocessable")
    assert "240 sets" in body["detail"]
    assert not WorkoutSession.objects.exists()
    assert not SetLog.objects.exists()
