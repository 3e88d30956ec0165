"""The exercises a session logs, their milder and harder options, and past sessions of them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    ExerciseFactory,
    ExerciseProgressionFactory,
    SetLogFactory,
    WorkoutSessionFactory,
)


def log_session(
    user, exercise, *, days_ago=1, effort=4, pains=(0,), sides=None, done=True, **extra
):
    """One session `days_ago` days before now with one set of `exercise` per pain given.

    The sets of a one-sided exercise take turns, left first, unless `sides` says otherwise;
    those of a two-sided one are done on both sides. Relative to now, because pain older than
    COACHING["RECENT_DAYS"] no longer counts."""
    session = WorkoutSessionFactory(
        user=user,
        started_at=timezone.now() - timedelta(days=days_ago),
        perceived_effort=effort,
        **extra,
    )
    if sides is None:
        sides = [
            ("left", "right")[n % 2] if exercise.unilateral else "both" for n in range(len(pains))
        ]
    for position, (pain, side) in enumerate(zip(pains, sides, strict=True)):
        SetLogFactory(
            session=session, position=position, exercise=exercise, side=side, pain=pain, done=done
        )
    return session


def log_easy_sessions(user, exercise, *days_ago):
    """A pain-free session of effort 3 for each of the days ago given."""
    for days in days_ago:
        log_session(user, exercise, days_ago=days, effort=3, pains=[0])


@pytest.fixture
def band_march(db):
    return ExerciseFactory(name="Band March", kind="strengthen")


@pytest.fixture
def half_kneeling(king_runner):
    """The King Runner's milder option: the article's basic Half-Kneeling Stretch."""
    milder = ExerciseFactory(name="Half-Kneeling Stretch", unilateral=True, difficulty=2)
    ExerciseProgressionFactory(milder=milder, harder=king_runner)
    return milder


@pytest.fixture
def lying_stretch(king_runner):
    """A second, gentler milder option of the King Runner, done on both sides at once."""
    milder = ExerciseFactory(name="Lying Hip Flexor Stretch", difficulty=1)
    ExerciseProgressionFactory(milder=milder, harder=king_runner)
    return milder


@pytest.fixture
def couch_stretch(king_runner):
    """A harder option of the King Runner."""
    harder = ExerciseFactory(name="Elevated Couch Stretch", unilateral=True, difficulty=3)
    ExerciseProgressionFactory(milder=king_runner, harder=harder)
    return harder


@pytest.fixture
def wall_lunge(king_runner):
    """A second harder option of the King Runner, as hard as the couch stretch: after it by name."""
    harder = ExerciseFactory(name="Wall Lunge Stretch", unilateral=True, difficulty=3)
    ExerciseProgressionFactory(milder=king_runner, harder=harder)
    return harder
