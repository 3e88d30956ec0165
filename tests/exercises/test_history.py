"""The catalog's history: every write of an exercise keeps a version with its lists, from
the admin, the API and the seed; trainers compare two versions, revert to one and recover a
deleted exercise, and phones see a revert as they see any edit."""

import re

import pytest
from reversion.models import Version

from exercises.models import Exercise, ExerciseProgression
from hipflex_api.changes.counters import catalog_version
from tests.conftest import exercise_url
from tests.exercises.conftest import (
    EXERCISE_CHANGELIST,
    form_values,
    publishable,
)
from tests.factories import ExerciseFactory, MuscleFactory

pytestmark = pytest.mark.django_db


def _versions(exercise: Exercise) -> list[Version]:
    """Newest first."""
    return list(Version.objects.get_for_object(exercise).select_related("revision__user"))


def _listed(version: Version, model_name: str) -> list[tuple[int, str]]:
    """The (position, text) rows of one of the version's ordered lists."""
    rows = [
        v.field_dict
        for v in version.revision.version_set.all()
        if v.content_type.model == model_name
    ]
    return sorted((row["position"], row["text"]) for row in rows)


def _change_url(exercise: Exercise) -> str:
    return f"{EXERCISE_CHANGELIST}{exercise.pk}/change/"


def _save(browser, exercise: Exercise, *, steps: list[str], published: bool = True):
    """The change form as served, posted with these steps in this order (the old rows
    deleted, new ones added), as a trainer leaves it."""
    url = _change_url(exercise)
    data = form_values(browser.get(url).content.decode())
    old = int(data["steps-TOTAL_FORMS"])
    kept = ("-id", "-exercise")
    data = {k: v for k, v in data.items() if not re.match(r"steps-\d+-", k) or k.endswith(kept)}
    for index in range(old):
        data[f"steps-{index}-DELETE"] = "on"
    for index, text in enumerate(steps, start=old):
        data[f"steps-{index}-text"] = text
        data[f"steps-{index}-position"] = str(index - old + 1)
    data["steps-TOTAL_FORMS"] = str(old + len(steps))
    data.pop("published", None)
    if published:
        data["published"] = "on"
    response = browser.post(url, data)
    errors = re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    assert response.status_code == 302, errors
    return response


@pytest.fixture
def march(db):
    """A published exercise with a primary muscle, a dose and a caution; steps come later."""
    exercise = publishable(ExerciseFactory(name="Standing March", slug="standing-march"))
    exercise.steps.all().delete()
    exercise.published = False
    exercise.save()
    return exercise


def test_an_admin_save_keeps_a_version_with_its_author_and_its_lists_as_saved(
    trainer, trainer_browser, march
):
    _save(trainer_browser, march, steps=["Stand tall.", "Lift one knee.", "Lower it."])

    [version] = _versions(march)
    assert version.revision.user == trainer
    assert "step" in version.revision.get_comment()  # What the admin says it changed.
    # The steps as they were stored at the end of the save, numbered as the API serves them.
    assert _listed(version, "exercisestep") == [
        (1, "Stand tall."),
        (2, "Lift one knee."),
        (3, "Lower it."),
    ]
    assert version.field_dict["published"] is True
    assert len(_listed(version, "exercisecaution")) == 1


def test_the_history_page_lists_each_change_with_who_made_it(trainer, trainer_browser, march):
    _save(trainer_browser, march, steps=["A"])
    _save(trainer_browser, march, steps=["B"])

    page = trainer_browser.get(f"{_change_url(march).removesuffix('change/')}history/")

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count(trainer.email) >= 2
    assert html.count('name="version_id2"') == 2  # A row per version, to compare them.


def test_two_versions_compared_show_what_changed(trainer_browser, march):
    _save(trainer_browser, march, steps=["Lift one knee to hip height."])
    _save(trainer_browser, march, steps=["Lift one knee as high as is comfortable."])
    newer, older = _versions(march)

    page = trainer_browser.get(
        f"{_change_url(march).removesuffix('change/')}history/compare/",
        {"version_id1": older.pk, "version_id2": newer.pk},
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "hip height" in html
    assert "as high as is comfortable" in html


def test_reverting_brings_back_the_old_steps_in_their_order_and_phones_see_it(
    trainer_browser, trainer_client, march
):
    _save(trainer_browser, march, steps=["A", "B", "C"])
    first = _versions(march)[0]
    _save(trainer_browser, march, steps=["C", "A"], published=False)
    before = catalog_version()
    revision_url = f"{_change_url(march).removesuffix('change/')}history/{first.pk}/"

    # Looking at the old version changes nothing.
    page = trainer_browser.get(revision_url)
    assert page.status_code == 200
    assert list(march.steps.values_list("position", "text")) == [(1, "C"), (2, "A")]
    assert len(_versions(march)) == 2

    response = trainer_browser.post(revision_url, form_values(page.content.decode()))

    assert response.status_code == 302
    march.refresh_from_db()
    assert list(march.steps.values_list("position", "text")) == [(1, "A"), (2, "B"), (3, "C")]
    assert march.published  # As it was in that version, and the rule still allows it.
    assert catalog_version() != before  # Phones fetch it again, as after any edit.
    served = trainer_client.get(exercise_url(march.slug)).json()
    assert served["steps"] == ["A", "B", "C"]
    newest = _versions(march)[0]
    assert newest.revision.comment.startswith("Reverted to previous version")


def test_a_revert_the_rule_refuses_is_saved_as_a_draft_and_says_why(trainer_browser, march):
    _save(trainer_browser, march, steps=["A"])
    first = _versions(march)[0]
    _save(trainer_browser, march, steps=["B"], published=False)
    march.cautions.all().delete()  # Since then the caution has gone.
    revision_url = f"{_change_url(march).removesuffix('change/')}history/{first.pk}/"
    page = trainer_browser.get(revision_url).content.decode()
    values = form_values(page)
    # The old version had the caution: the trainer deletes it from the reverted form.
    [caution] = [k for k, v in values.items() if re.fullmatch(r"cautions-\d+-id", k) and v]
    values[caution.replace("-id", "-DELETE")] = "on"

    response = trainer_browser.post(revision_url, values, follow=True)

    march.refresh_from_db()
    assert not march.published
    assert list(march.steps.values_list("text", flat=True)) == ["A"]
    assert "add at least one safety caution" in response.content.decode()


def test_a_deleted_exercise_is_recovered_with_its_lists(trainer_browser, trainer_client, march):
    muscle = MuscleFactory(name="Iliacus")
    march.muscle_links.create(muscle=muscle, role="secondary")
    _save(trainer_browser, march, steps=["A", "B"])
    pk = march.pk
    delete = trainer_browser.post(f"{EXERCISE_CHANGELIST}{pk}/delete/", {"post": "yes"})
    assert delete.status_code == 302
    assert not Exercise.objects.filter(pk=pk).exists()
    assert trainer_client.get(exercise_url("standing-march")).status_code == 404

    listing = trainer_browser.get(f"{EXERCISE_CHANGELIST}recover/").content.decode()
    assert "Standing March" in listing
    [version] = Version.objects.get_deleted(Exercise)
    recover_url = f"{EXERCISE_CHANGELIST}recover/{version.pk}/"
    page = trainer_browser.get(recover_url).content.decode()
    response = trainer_browser.post(recover_url, form_values(page))

    assert response.status_code == 302
    march = Exercise.objects.get(pk=pk)
    assert list(march.steps.values_list("text", flat=True)) == ["A", "B"]
    assert set(march.muscles.values_list("name", flat=True)) >= {"Iliacus"}
    assert trainer_client.get(exercise_url("standing-march")).status_code == 200


def test_an_api_write_is_kept_with_its_author_and_the_lists_it_wrote(
    trainer, trainer_client, march
):
    response = trainer_client.patch(
        exercise_url(march.slug), {"steps": ["One", "Two"]}, format="json"
    )
    assert response.status_code == 200, response.json()

    [version] = _versions(march)
    assert version.revision.user == trainer
    assert version.revision.comment == "Changed through the API."
    assert _listed(version, "exercisestep") == [(1, "One"), (2, "Two")]


def test_publishing_from_the_list_keeps_a_version_of_each_item_on_its_own(trainer_browser, march):
    march.steps.create(position=1, text="A")
    other = publishable(ExerciseFactory(published=False))
    selected = [march.pk, other.pk]

    trainer_browser.post(EXERCISE_CHANGELIST, {"action": "publish", "_selected_action": selected})

    [version] = _versions(march)
    [others] = _versions(other)
    assert version.field_dict["published"] is True
    assert version.revision.comment == "Published from the list."
    # Apart, so that reverting one of them brings back only that one.
    assert version.revision_id != others.revision_id
    assert version.revision.version_set.filter(content_type__model="exercise").count() == 1


def test_the_seed_is_the_first_version_of_each_exercise_options_included(seeded):
    king = Exercise.objects.get(slug="king-runner")

    version, first = _versions(king)
    assert first.revision.comment == "Added by the seed command."
    assert version.revision.comment == "Given its option by the seed command."
    # One item per revision: reverting it brings back nothing else.
    revisions = {v.revision_id for v in Version.objects.all()}
    exercises = Version.objects.filter(content_type__model__in=["exercise", "routine"])
    assert exercises.count() == len(revisions)
    links = [
        v.field_dict
        for v in version.revision.version_set.all()
        if v.content_type.model == "exerciseprogression"
    ]
    milder = Exercise.objects.get(slug="half-kneeling-stretch")
    assert {"milder": milder.pk, "harder": king.pk} in [
        {"milder": link["milder_id"], "harder": link["harder_id"]} for link in links
    ]


def test_a_revert_is_weighed_against_the_exercise_as_it_was_before_it(trainer_browser, march):
    milder = publishable(ExerciseFactory(name="Wall Stretch", published=True))
    ExerciseProgression.objects.create(milder=milder, harder=march)
    _save(trainer_browser, march, steps=["A"], published=True)
    published = _versions(march)[0]
    _save(trainer_browser, march, steps=["B"], published=False)
    milder.published = False  # Allowed now that its harder option is a draft.
    milder.save()
    revision_url = f"{_change_url(march).removesuffix('change/')}history/{published.pk}/"
    values = form_values(trainer_browser.get(revision_url).content.decode())

    response = trainer_browser.post(revision_url, values, follow=True)

    # The old version was published, but a draft is what it reverts: the rule asks again.
    march.refresh_from_db()
    assert not march.published
    assert "publish its milder option “Wall Stretch” first" in response.content.decode()


def test_a_version_naming_a_muscle_deleted_since_is_refused_whole(trainer_browser, march):
    muscle = MuscleFactory(name="Sartorius")
    march.muscle_links.create(muscle=muscle, role="secondary")
    _save(trainer_browser, march, steps=["A"])
    first = _versions(march)[0]
    _save(trainer_browser, march, steps=["B"])
    march.muscle_links.filter(muscle=muscle).delete()
    muscle.delete()  # Nothing names it any more, so a trainer may delete it.
    revision_url = f"{_change_url(march).removesuffix('change/')}history/{first.pk}/"
    values = form_values(trainer_browser.get(revision_url).content.decode())

    response = trainer_browser.post(revision_url, values, follow=True)

    assert response.status_code == 200
    assert "That version cannot be brought back" in response.content.decode()
    assert list(march.steps.values_list("text", flat=True)) == ["B"]  # Nothing of it kept.
