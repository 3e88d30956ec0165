"""The one rule of publishing, as the API's writes, the admin and the seed apply it: a step, a
primary muscle, a dose, a safety caution, and milder options published first."""

import pytest

from exercises import services
from exercises.models import Exercise
from tests.conftest import exercise_url
from tests.exercises.conftest import (
    EXERCISE_ADD,
    EXERCISE_CHANGELIST,
    EXERCISE_FIELDS,
    admin_form_data,
    publishable,
)
from tests.factories import ExerciseFactory, ExerciseProgressionFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def test_a_draft_with_nothing_is_refused_naming_each_thing_it_lacks(trainer_client):
    ExerciseFactory(name="Draft", published=False, sets=None, reps_per_side=None)

    response = trainer_client.patch(exercise_url("draft"), {"published": True}, format="json")

    body = assert_error(response, 400, "invalid")
    (error,) = body["errors"]
    assert error["field"] == "published"
    assert error["message"] == (
        "It cannot be published yet: add at least one step; name a primary muscle; give a "
        "dose: sets, reps or a hold, or a note on how much to do; add at least one safety "
        "caution."
    )
    assert Exercise.objects.get(slug="draft").published is False


def test_a_note_is_a_dose_where_the_source_gives_no_number(trainer_client):
    draft = publishable(ExerciseFactory(name="Draft", published=False))
    draft.sets = draft.reps_per_side = draft.hold_seconds = None
    draft.prescription_note = "Stay while it feels good."
    draft.save()

    response = trainer_client.patch(exercise_url("draft"), {"published": True}, format="json")

    assert response.status_code == 200, response.json()


def test_an_edit_of_an_exercise_published_before_the_rule_is_refused_only_for_what_it_breaks(
    trainer_client,
):
    ExerciseFactory(name="Lunge", reps_per_side=10)  # Published with no step nor caution.

    kept = trainer_client.patch(exercise_url("lunge"), {"summary": "Step out."}, format="json")
    dose = {"prescription": {"sets": None, "reps_per_side": None, "hold_seconds": None}}
    taken = trainer_client.patch(exercise_url("lunge"), dose, format="json")

    assert kept.status_code == 200, kept.json()
    (error,) = assert_error(taken, 400, "invalid")["errors"]
    assert error["message"] == (
        "It cannot be published yet: give a dose: sets, reps or a hold, or a note on how much "
        "to do."
    )


def test_a_published_exercise_cannot_lose_its_last_caution(trainer_client):
    publishable(ExerciseFactory(name="Lunge"))

    response = trainer_client.patch(exercise_url("lunge"), {"cautions": []}, format="json")

    (error,) = assert_error(response, 400, "invalid")["errors"]
    assert "add at least one safety caution" in error["message"]
    assert Exercise.objects.get(slug="lunge").cautions.count() == 1  # Nothing half-saved.


def test_a_harder_option_is_published_only_while_its_milder_one_is(trainer_client):
    milder = publishable(ExerciseFactory(name="Half-Kneeling Stretch", published=False))
    harder = publishable(ExerciseFactory(name="King Runner", published=False))
    ExerciseProgressionFactory(milder=milder, harder=harder)

    refused = trainer_client.patch(exercise_url(harder.slug), {"published": True}, format="json")
    message = refused.json()["errors"][0]["message"]
    assert "publish its milder option “Half-Kneeling Stretch” first" in message
    for slug in (milder.slug, harder.slug):
        response = trainer_client.patch(exercise_url(slug), {"published": True}, format="json")
        assert response.status_code == 200
    back = trainer_client.patch(exercise_url(milder.slug), {"published": False}, format="json")

    assert "unpublish its harder option “King Runner” first" in back.json()["errors"][0]["message"]
    assert Exercise.objects.get(pk=milder.pk).published is True


def test_the_admins_publish_action_says_why_it_left_one_unpublished(trainer_browser):
    ready = publishable(ExerciseFactory(name="Ready", published=False))
    ExerciseFactory(name="Bare", published=False)

    response = trainer_browser.post(
        EXERCISE_CHANGELIST,
        {"action": "publish", "_selected_action": [str(e.pk) for e in Exercise.objects.all()]},
        follow=True,
    )

    html = response.content.decode()
    assert "“Bare” was not published: add at least one step" in html
    assert set(Exercise.objects.filter(published=True)) == {ready}


def test_the_admin_saves_an_incomplete_exercise_as_a_draft_and_says_what_it_lacks(
    trainer_browser,
):
    page = trainer_browser.get(EXERCISE_ADD).content.decode()

    data = admin_form_data(page, EXERCISE_FIELDS, {})
    response = trainer_browser.post(EXERCISE_ADD, data, follow=True)

    html = response.content.decode()
    assert "“Standing March”: It cannot be published yet: add at least one step" in html
    exercise = Exercise.objects.get(slug=EXERCISE_FIELDS["slug"])
    assert (exercise.published, exercise.first_published_at) == (False, None)


def test_every_seeded_exercise_meets_the_rule(seeded):
    for exercise in Exercise.objects.all():
        assert exercise.published
        assert services.publish_problems(exercise) == [], exercise.slug
