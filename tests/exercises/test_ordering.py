"""Ordered lists (steps, cues, cautions, set-up notes, media, routine items) are numbered 1, 2,
3… with no gap and no number twice, whether a trainer drags rows in the admin or an app
writes through the API, and the database refuses anything else."""

import pytest
from django.db import IntegrityError, transaction

from exercises.models import Exercise
from tests.conftest import exercise_url
from tests.exercises.conftest import EXERCISE_CHANGELIST, EXERCISE_FIELDS, admin_form_data
from tests.factories import (
    ExerciseCautionFactory,
    ExerciseCueFactory,
    ExerciseFactory,
    ExerciseMediaFactory,
    ExerciseSetupNoteFactory,
    ExerciseStepFactory,
    RoutineItemFactory,
)
from tests.helpers import models_before

pytestmark = pytest.mark.django_db


def _steps(exercise: Exercise) -> list[tuple[str, int]]:
    return list(exercise.steps.values_list("text", "position"))


@pytest.fixture
def abc():
    """An exercise with the steps A, B and C, in that order."""
    exercise = ExerciseFactory(name="Standing March", slug="standing-march", published=False)
    for position, text in enumerate("ABC", start=1):
        ExerciseStepFactory(exercise=exercise, position=position, text=text)
    return exercise


def _save_steps(trainer_browser, exercise: Exercise, rows: list[dict]):
    """Post the change form with these step rows, as the page's script leaves them."""
    url = f"{EXERCISE_CHANGELIST}{exercise.pk}/change/"
    page = trainer_browser.get(url).content.decode()
    fields = {**EXERCISE_FIELDS, "published": ""}
    by_text = {step.text: step for step in exercise.steps.all()}
    for row in rows:
        if (step := by_text.get(row["text"])) is not None:
            row.update(id=str(step.pk), exercise=str(exercise.pk))
    return trainer_browser.post(url, admin_form_data(page, fields, {"steps": rows}))


def test_dragging_the_third_step_to_the_top_numbers_the_steps_from_1(
    trainer_browser, trainer_client, abc
):
    # After a drag the script numbers every saved row anew: C takes A's number, A takes B's.
    rows = [{"text": "C", "position": "1"}, {"text": "A", "position": "2"}]
    response = _save_steps(trainer_browser, abc, [*rows, {"text": "B", "position": "3"}])

    assert response.status_code == 302
    assert _steps(abc) == [("C", 1), ("A", 2), ("B", 3)]
    served = trainer_client.get(exercise_url(abc.slug)).json()["steps"]
    assert served == ["C", "A", "B"]


def test_a_new_step_goes_last_and_a_deleted_one_leaves_no_gap(trainer_browser, abc):
    rows = [
        {"text": "A", "position": "1", "DELETE": "on"},
        {"text": "B", "position": "2"},
        {"text": "C", "position": "3"},
        {"text": "D", "position": ""},  # A row added on the page: the script leaves it empty.
    ]
    assert _save_steps(trainer_browser, abc, rows).status_code == 302
    assert _steps(abc) == [("B", 1), ("C", 2), ("D", 3)]


def test_a_number_sent_twice_is_taken_in_the_pages_order(trainer_browser, abc):
    # No browser sends this (the numbers are hidden), but a hand-made post must not be a 500.
    rows = [
        {"text": "A", "position": "2"},
        {"text": "B", "position": "2"},
        {"text": "C", "position": "1"},
    ]
    assert _save_steps(trainer_browser, abc, rows).status_code == 302
    assert _steps(abc) == [("C", 1), ("A", 2), ("B", 3)]


def test_the_page_has_drag_handles_and_steps_in_boxes_of_several_lines(trainer_browser, abc):
    html = trainer_browser.get(f"{EXERCISE_CHANGELIST}{abc.pk}/change/").content.decode()
    assert "adminsortable2/js/adminsortable2.min.js" in html
    assert '<textarea name="steps-0-text"' in html
    assert 'maxlength="300"' in html
    # The numbers are the script's business, not the trainer's.
    assert 'type="hidden" name="steps-0-position"' in html


@pytest.mark.parametrize(
    ("factory", "parent"),
    [
        (ExerciseStepFactory, "exercise"),
        (ExerciseCueFactory, "exercise"),
        (ExerciseCautionFactory, "exercise"),
        (ExerciseSetupNoteFactory, "exercise"),
        (ExerciseMediaFactory, "exercise"),
        (RoutineItemFactory, "routine"),
    ],
)
def test_the_database_refuses_a_position_twice_or_below_1(factory, parent):
    first = factory(position=1)
    owner = {parent: getattr(first, parent)}
    for position in (1, 0):
        with pytest.raises(IntegrityError), transaction.atomic():
            factory(position=position, **owner)
    assert factory(position=2, **owner).position == 2


def test_media_reordered_through_the_api_keep_their_numbers_and_ids(trainer_client):
    exercise = ExerciseFactory(slug="lunge")
    first, second = (ExerciseMediaFactory(exercise=exercise, position=p) for p in (1, 2))
    items = [
        {key: item[key] for key in ("id", "kind", "url", "caption", "licence", "attribution")}
        for item in trainer_client.get(exercise_url("lunge")).json()["media"]
    ]

    response = trainer_client.patch(exercise_url("lunge"), {"media": items[::-1]}, format="json")

    assert response.status_code == 200, response.json()
    assert [m["id"] for m in response.json()["media"]] == [second.pk, first.pk]
    assert list(exercise.media.values_list("pk", "position")) == [(second.pk, 1), (first.pk, 2)]


def test_deleting_a_media_item_closes_the_gap(trainer_client):
    exercise = ExerciseFactory(slug="lunge")
    media = [ExerciseMediaFactory(exercise=exercise, position=p) for p in (1, 2, 3)]

    response = trainer_client.delete(f"{exercise_url('lunge')}media/{media[0].pk}/")

    assert response.status_code == 204
    assert list(exercise.media.values_list("pk", "position")) == [
        (media[1].pk, 1),
        (media[2].pk, 2),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_old_lists_from_1_in_their_order():
    with models_before("exercises", "0010_uploaded_images") as old:
        exercise = old.get_model("exercises", "Exercise").objects.create(
            name="Old", slug="old", kind="stretch", difficulty=1
        )
        step = old.get_model("exercises", "ExerciseStep")
        # Counted from 0, with a number twice and a gap, as the old admin let a trainer save.
        for position, text in ((3, "D"), (0, "A"), (1, "B"), (1, "C")):
            step.objects.create(exercise=exercise, position=position, text=text)

    renumbered = Exercise.objects.get(pk=exercise.pk)
    assert _steps(renumbered) == [("A", 1), ("B", 2), ("C", 3), ("D", 4)]
