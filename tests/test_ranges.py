"""Each named range is the one source of its database constraint and its serializer field:
both take its ends and refuse one past them."""

import pytest
from django.db import IntegrityError, transaction

from exercises import limits as prescribed
from exercises.models import Exercise, RoutineItem
from exercises.serializers import PrescriptionSerializer, RoutineItemSerializer
from hipflex_api.ranges import Range
from sessions import limits as logged
from sessions.models import SetLog, WorkoutSession
from sessions.serializers import SetLogSerializer, WorkoutSessionSerializer
from tests.factories import (
    ExerciseFactory,
    RoutineItemFactory,
    SetLogFactory,
    WorkoutSessionFactory,
)

pytestmark = pytest.mark.django_db

# (range, model, row factory, column, serializer, field)
RANGES = [
    (prescribed.SETS, Exercise, ExerciseFactory, "sets", PrescriptionSerializer, "sets"),
    (prescribed.REPS_PER_SIDE, Exercise, ExerciseFactory, "reps_per_side", None, None),
    (prescribed.HOLD_SECONDS, Exercise, ExerciseFactory, "hold_seconds", None, None),
    (prescribed.SETS, RoutineItem, RoutineItemFactory, "sets", RoutineItemSerializer, "sets"),
    (prescribed.REST_SECONDS, RoutineItem, RoutineItemFactory, "rest_seconds", None, None),
    (logged.REPS, SetLog, SetLogFactory, "reps", SetLogSerializer, "reps"),
    (logged.HOLD_SECONDS, SetLog, SetLogFactory, "hold_seconds", SetLogSerializer, None),
    (logged.PAIN, SetLog, SetLogFactory, "pain", SetLogSerializer, "pain"),
    (logged.REST_SECONDS, SetLog, SetLogFactory, "rest_seconds", None, None),
    (
        logged.PERCEIVED_EFFORT,
        WorkoutSession,
        WorkoutSessionFactory,
        "perceived_effort",
        WorkoutSessionSerializer,
        "perceived_effort",
    ),
]


@pytest.mark.parametrize(("limit", "model", "factory", "column", "_s", "_f"), RANGES)
def test_the_database_takes_the_ends_of_a_range_and_refuses_one_past(
    limit, model, factory, column, _s, _f
):
    row = factory()
    for value in (limit.low, limit.high):
        model.objects.filter(pk=row.pk).update(**{column: value})
    for value in (limit.low - 1, limit.high + 1):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=row.pk).update(**{column: value})


@pytest.mark.parametrize(
    ("limit", "serializer", "field"), [(r[0], r[4], r[5]) for r in RANGES if r[5]]
)
def test_the_serializer_field_has_the_ends_of_its_range(limit, serializer, field):
    built = serializer().fields[field]
    assert (built.min_value, built.max_value) == (limit.low, limit.high)


def test_a_range_words_its_constraint_for_a_trainer():
    hold = Range("The hold", 1, 600, " seconds")
    rest = Range("Rest", 0, 600, " seconds")

    assert hold.message(nullable=True) == "The hold must be from 1 to 600 seconds, or empty."
    assert rest.message(nullable=False) == "Rest must be at most 600 seconds."
    assert hold.constraint("hold_seconds", name="x", nullable=True).violation_error_message == (
        "The hold must be from 1 to 600 seconds, or empty."
    )
