"""An exercise "as the app shows it": the detail endpoint's answer laid out as a phone shows
it, drafts included, opened from the change form's "View on site"."""

import re

import pytest
from django.conf import settings

from exercises import services
from tests.conftest import an_image, browser_for, image_upload
from tests.exercises.conftest import EXERCISE_CHANGELIST, publishable
from tests.factories import ExerciseFactory, ExerciseProgressionFactory, UserFactory

pytestmark = pytest.mark.django_db


def preview_url(exercise) -> str:
    return f"{EXERCISE_CHANGELIST}{exercise.pk}/preview/"


def texts(html: str, testid: str) -> list[str]:
    block = re.search(rf'data-testid="{testid}">(.*?)</ol>', html, re.S).group(1)
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<li>(.*?)</li>", block, re.S)]


@pytest.fixture
def runner(db):
    exercise = publishable(ExerciseFactory(name="King Runner", slug="king-runner"))
    exercise.steps.all().delete()
    for position, text in enumerate(["Stand on one leg.", "Drive the knee up."], start=1):
        exercise.steps.create(position=position, text=text)
    exercise.unilateral, exercise.reps_per_side, exercise.sets = True, 8, 2
    exercise.save()
    return exercise


def test_the_preview_shows_what_the_api_serves_in_the_order_it_serves_it(trainer_browser, runner):
    milder = publishable(ExerciseFactory(name="Half-Kneeling Stretch", published=True))
    ExerciseProgressionFactory(milder=milder, harder=runner)

    response = trainer_browser.get(preview_url(runner))

    html = response.content.decode()
    assert response.status_code == 200
    assert texts(html, "steps") == ["Stand on one leg.", "Drive the knee up."]
    assert "2 sets" in html
    assert "8 reps per side" in html
    assert runner.cautions.get().text in html
    assert "choose a milder option:\n    Half-Kneeling Stretch." in html
    assert "A draft" not in html  # Published: no banner.


def test_the_preview_leaves_out_options_phones_do_not_get(trainer_browser, runner):
    draft = ExerciseFactory(name="Sprinter Drill", published=False)
    ExerciseProgressionFactory(milder=runner, harder=draft)

    html = trainer_browser.get(preview_url(runner)).content.decode()

    assert "Sprinter Drill" not in html


def test_a_draft_preview_says_what_publishing_still_needs(trainer_browser):
    draft = ExerciseFactory(name="New Stretch", published=False)

    html = trainer_browser.get(preview_url(draft)).content.decode()

    assert "A draft: apps do not see it yet." in html
    assert "add at least one step; name a primary muscle" in html
    assert "No steps yet." in html


def test_the_preview_shows_an_image_at_the_size_phones_get_with_its_credit(
    trainer_browser, runner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        media = services.media_upload(
            exercise=runner,
            upload=image_upload(an_image(size=(1600, 1200))),
            size=0,
            fields={"caption": "Knee up", "licence": "CC BY 4.0", "attribution": "Ana Diaz"},
        )
    phone = media.renditions.get(name="phone")

    html = trainer_browser.get(preview_url(runner)).content.decode()

    assert f'src="http://testserver{settings.MEDIA_URL}{phone.file.name}"' in html
    assert "Credit: Ana Diaz (CC BY 4.0)" in html


def test_the_change_form_opens_the_preview_instead_of_the_api(trainer_browser, runner):
    html = trainer_browser.get(f"{EXERCISE_CHANGELIST}{runner.pk}/change/").content.decode()

    assert f'href="{preview_url(runner)}" class="viewsitelink">Preview as the app shows it' in html


def test_no_preview_for_an_exercise_that_is_not_there_or_a_person_who_is_not_staff(
    trainer_browser, runner
):
    assert trainer_browser.get(f"{EXERCISE_CHANGELIST}99999/preview/").status_code == 404
    for odd in ("abc", "²"):  # Not an id: a 404, never a 500.
        assert trainer_browser.get(f"{EXERCISE_CHANGELIST}{odd}/preview/").status_code == 404
    outsider = browser_for(UserFactory())
    response = outsider.get(preview_url(runner))
    assert response.status_code == 302  # To the admin's sign-in.
    assert response["Location"].startswith("/admin/login/")
