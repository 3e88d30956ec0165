"""The catalog as the article seeds it, and reading exercise lists."""

import pytest
from django.core.management import call_command

# The slugs of the article's exercises, in the order its routine does them.
ARTICLE_ORDER = [
    "strengthener-with-a-band",
    "half-kneeling-stretch",
    "king-runner",
    "gravity-assisted-stretch",
]


def seed_catalog():
    call_command("seed_catalog", verbosity=0)


def slugs(response):
    """The slugs of a page of the exercise list, in its order."""
    assert response.status_code == 200, response.json()
    return [item["slug"] for item in response.json()["results"]]


@pytest.fixture
def seeded(db):
    seed_catalog()


def publishable(exercise):
    """`exercise` given what publishing asks of it: a step, a primary muscle, a dose and a
    caution (exercises.services.publish_problems)."""
    from tests.factories import ExerciseCautionFactory, ExerciseMuscleFactory, ExerciseStepFactory

    ExerciseStepFactory(exercise=exercise)
    ExerciseMuscleFactory(exercise=exercise)
    ExerciseCautionFactory(exercise=exercise)
    if not (exercise.sets or exercise.reps_per_side or exercise.hold_seconds):
        exercise.reps_per_side = 10
        exercise.save(update_fields=["reps_per_side"])
    return exercise
