import pytest
from django.contrib.auth.models import Group, Permission
from PIL import Image

from exercises.models import Exercise, ExerciseMedia, ExerciseProgression
from tests.conftest import an_image, image_upload
from tests.exercises.conftest import (
    EXERCISE_ADD,
    EXERCISE_CHANGELIST,
    EXERCISE_FIELDS,
    admin_form_data,
    inline_prefixes,
    publishable,
)
from tests.factories import (
    EquipmentFactory,
    ExerciseEquipmentFactory,
    ExerciseFactory,
    ExerciseMuscleFactory,
    ExerciseStepFactory,
    MuscleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST, ADD = EXERCISE_CHANGELIST, EXERCISE_ADD


def test_trainer_sees_the_changelist_with_its_columns(trainer_browser):
    ExerciseFactory(name="King Runner", published=False)
    response = trainer_browser.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "King Runner" in html
    for column in ("column-kind", "column-difficulty", "column-published", "column-updated_at"):
        assert column in html


def test_trainer_can_search_the_changelist_by_alias(trainer_browser):
    exercise = ExerciseFactory(name="King Runner")
    exercise.aliases.create(name="Couch stretch")
    ExerciseFactory(name="Gravity Assisted Stretch")
    response = trainer_browser.get(CHANGELIST, {"q": "couch"})
    html = response.content.decode()
    assert "King Runner" in html
    assert "Gravity Assisted Stretch" not in html


def test_trainer_adds_an_exercise_with_its_inlines(trainer_browser):
    muscle = MuscleFactory(slug="psoas-major")
    band = EquipmentFactory(slug="resistance-band")
    milder = ExerciseFactory(name="Seated March")
    page = trainer_browser.get(ADD).content.decode()
    assert {"steps", "cues", "cautions", "setup_notes"} <= set(inline_prefixes(page))

    data = admin_form_data(
        page,
        EXERCISE_FIELDS,
        {
            "steps": [
                {"position": "2", "text": "Lift the knee."},
                {"position": "1", "text": "Stand tall."},
            ],
            "cautions": [{"position": "1", "text": "If it hurts, switch to a milder option."}],
            "muscle_links": [{"muscle": str(muscle.pk), "role": "primary"}],
            "equipment_links": [{"equipment": str(band.pk)}],
            "milder_links": [{"milder": str(milder.pk)}],
            "aliases": [{"name": "Knee drive"}],
        },
    )
    response = trainer_browser.post(ADD, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""

    exercise = Exercise.objects.get(slug="standing-march")
    assert [s.text for s in exercise.steps.all()] == ["Stand tall.", "Lift the knee."]
    assert exercise.cautions.count() == 1
    assert exercise.reps_per_side == 10
    assert list(exercise.muscles.values_list("slug", flat=True)) == ["psoas-major"]
    assert list(exercise.equipment.values_list("slug", flat=True)) == ["resistance-band"]
    assert list(exercise.milder_options.all()) == [milder]
    assert list(exercise.aliases.values_list("name", flat=True)) == ["Knee drive"]


def test_trainer_swaps_two_steps(trainer_browser):
    exercise = ExerciseFactory(name="Half-Kneeling Stretch", kind="stretch")
    first = ExerciseStepFactory(exercise=exercise, position=1, text="Kneel.")
    second = ExerciseStepFactory(exercise=exercise, position=2, text="Square the hips.")
    url = f"/admin/exercises/exercise/{exercise.pk}/change/"
    page = trainer_browser.get(url).content.decode()
    fields = {**EXERCISE_FIELDS, "name": exercise.name, "kind": "stretch"}
    rows = [
        {"id": str(first.pk), "exercise": str(exercise.pk), "position": "2", "text": first.text},
        {"id": str(second.pk), "exercise": str(exercise.pk), "position": "1", "text": second.text},
    ]
    response = trainer_browser.post(url, admin_form_data(page, fields, {"steps": rows}))
    assert response.status_code == 302
    assert [s.text for s in exercise.steps.all()] == ["Square the hips.", "Kneel."]


def test_slug_is_prefilled_from_the_name_on_add_and_fixed_after(trainer_browser):
    add_page = trainer_browser.get(ADD).content.decode()
    assert "prepopulated_fields" in add_page or "data-prepopulated-fields" in add_page
    assert '"id_slug"' in add_page or "id_slug" in add_page
    exercise = ExerciseFactory(slug="king-runner")
    change_page = trainer_browser.get(f"/admin/exercises/exercise/{exercise.pk}/change/")
    assert 'name="slug"' not in change_page.content.decode()


def test_an_exercise_cannot_be_both_milder_and_harder_than_another(trainer_browser):
    exercise = ExerciseFactory()
    other = ExerciseFactory()
    ExerciseProgression.objects.create(milder=other, harder=exercise)
    url = f"/admin/exercises/exercise/{exercise.pk}/change/"
    page = trainer_browser.get(url).content.decode()
    fields = {**EXERCISE_FIELDS, "name": exercise.name}
    data = admin_form_data(page, fields, {"harder_links": [{"harder": str(other.pk)}]})
    # The saved milder link is an initial form of the other inline; post it unchanged.
    link = ExerciseProgression.objects.get()
    data.update({"milder_links-0-id": str(link.pk), "milder_links-0-milder": str(other.pk)})
    data["milder_links-0-harder"] = str(exercise.pk)
    response = trainer_browser.post(url, data)
    assert response.status_code == 200
    assert "already an option the other way round" in response.content.decode()
    assert ExerciseProgression.objects.count() == 1


def test_trainers_group_holds_exactly_the_catalogs_permissions():
    # Everything trainers edit, and not the bookkeeping of seeding and deletions.
    catalog = Permission.objects.filter(content_type__app_label="exercises").exclude(
        content_type__model__in=["seedrecord", "deletedexercise"]
    )
    expected = set(catalog.values_list("codename", flat=True))
    permissions = Group.objects.get(name="Trainers").permissions
    granted = set(
        permissions.filter(content_type__app_label="exercises").values_list("codename", flat=True)
    )
    assert granted == expected
    # Beyond the catalog, only coaching: no say over accounts.
    others = permissions.exclude(content_type__app_label="exercises")
    assert {f"{p.content_type.app_label}.{p.codename}" for p in others} == {"accounts.coach"}
    assert {"add_exercise", "change_exercise", "delete_exercise", "view_exercise"} <= granted
    assert all(code.split("_", 1)[0] in {"add", "change", "delete", "view"} for code in granted)


def test_an_exercise_cannot_be_its_own_harder_option(trainer_browser):
    exercise = ExerciseFactory()
    url = f"/admin/exercises/exercise/{exercise.pk}/change/"
    page = trainer_browser.get(url).content.decode()
    fields = {**EXERCISE_FIELDS, "name": exercise.name}
    data = admin_form_data(page, fields, {"harder_links": [{"harder": str(exercise.pk)}]})
    response = trainer_browser.post(url, data)
    assert response.status_code == 200
    assert "An exercise cannot be an option of itself." in response.content.decode()
    assert not ExerciseProgression.objects.exists()


def test_trainer_changes_an_exercise_and_its_steps(trainer_browser):
    exercise = ExerciseFactory(name="Half-Kneeling Stretch", slug="half-kneeling-stretch")
    step = ExerciseStepFactory(exercise=exercise, position=1, text="Kneel.")
    url = f"/admin/exercises/exercise/{exercise.pk}/change/"
    page = trainer_browser.get(url).content.decode()
    fields = {**EXERCISE_FIELDS, "name": exercise.name, "kind": "stretch"}
    data = admin_form_data(
        page,
        fields,
        {
            "steps": [
                {
                    "id": str(step.pk),
                    "exercise": str(exercise.pk),
                    "position": "1",
                    "text": "Kneel down.",
                },
                {"position": "2", "text": "Breathe."},
            ]
        },
    )
    response = trainer_browser.post(url, data)
    assert response.status_code == 302
    exercise.refresh_from_db()
    assert exercise.kind == "stretch"
    assert [s.text for s in exercise.steps.all()] == ["Kneel down.", "Breathe."]


def test_trainer_publishes_with_the_list_action(trainer_browser):
    draft = publishable(ExerciseFactory(published=False))
    before = draft.updated_at
    response = trainer_browser.post(
        CHANGELIST, {"action": "publish", "_selected_action": [str(draft.pk)]}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published
    assert draft.updated_at > before


def test_autocomplete_finds_muscles_for_a_trainer(trainer_browser):
    MuscleFactory(name="Psoas major")
    MuscleFactory(name="Iliacus")
    response = trainer_browser.get(
        "/admin/autocomplete/",
        {
            "term": "pso",
            "app_label": "exercises",
            "model_name": "exercisemuscle",
            "field_name": "muscle",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Psoas major"]


@pytest.mark.parametrize(
    "url", ["/admin/accounts/user/", "/admin/auth/group/", "/admin/auth/group/add/"]
)
def test_trainer_cannot_reach_anything_but_the_catalog(trainer_browser, url):
    assert trainer_browser.get(url).status_code == 403


def test_trainer_admin_index_lists_only_the_catalog(trainer_browser):
    html = trainer_browser.get("/admin/").content.decode()
    assert "Exercise catalog" in html
    assert "/admin/accounts/user/" not in html
    assert "/admin/auth/group/" not in html


def test_plain_user_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory())
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_trainers_group_is_refused(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(CHANGELIST).status_code == 403
    assert client.post(ADD, {"name": "Sneaky"}).status_code == 403
    assert not Exercise.objects.exists()


def _media_row(upload, **overrides):
    return {
        "position": "0",
        "kind": "image",
        "file": upload,
        "url": "",
        "caption": "",
        "licence": "CC BY 4.0",
        "attribution": "Sam",
        **overrides,
    }


def test_a_trainer_uploads_an_image_cleaned_as_the_api_does_and_sees_its_thumbnail(
    trainer_browser, django_capture_on_commit_callbacks
):
    page = trainer_browser.get(ADD).content.decode()
    photo = image_upload(an_image("JPEG", (640, 480), gps=True, orientation=6))
    data = admin_form_data(page, EXERCISE_FIELDS, {"media": [_media_row(photo)]})

    with django_capture_on_commit_callbacks(execute=True):
        response = trainer_browser.post(ADD, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    media = ExerciseMedia.objects.get()
    assert (media.width, media.height) == (480, 640)
    with Image.open(media.file.path) as kept:
        assert dict(kept.getexif()) == {}
    thumbnail = media.renditions.get(name="thumbnail")
    listed = trainer_browser.get(CHANGELIST).content.decode()
    assert f'<img src="{thumbnail.file.url}"' in listed


def test_the_admin_refuses_an_image_it_cannot_take_and_one_without_a_credit(trainer_browser):
    page = trainer_browser.get(ADD).content.decode()
    gif = image_upload(an_image("GIF"), name="a.gif", content_type="image/gif")
    rows = [_media_row(gif), _media_row(image_upload(an_image()), attribution="", position="1")]

    response = trainer_browser.post(ADD, admin_form_data(page, EXERCISE_FIELDS, {"media": rows}))

    html = response.content.decode()
    assert response.status_code == 200
    assert "The file is a GIF image: send a JPEG, PNG, WEBP file." in html
    assert "Say whom to credit for the image." in html
    assert not Exercise.objects.exists()


def test_a_muscle_row_has_no_icons_that_would_change_or_delete_the_shared_muscle(
    trainer_browser,
):
    exercise = ExerciseFactory()
    ExerciseMuscleFactory(exercise=exercise)
    ExerciseEquipmentFactory(exercise=exercise)

    html = trainer_browser.get(f"{CHANGELIST}{exercise.pk}/change/").content.decode()

    assert 'id="id_muscle_links-0-muscle"' in html
    for row in ("muscle_links-0-muscle", "equipment_links-0-equipment"):
        assert f'id="delete_id_{row}"' not in html
        assert f'id="change_id_{row}"' not in html
    assert "View site" not in html


def test_the_change_form_says_what_publishing_still_needs(trainer_browser):
    bare = ExerciseFactory(published=False, sets=None, reps_per_side=None, hold_seconds=None)
    ready = publishable(ExerciseFactory(published=False))

    bare_page = trainer_browser.get(f"{CHANGELIST}{bare.pk}/change/").content.decode()
    ready_page = trainer_browser.get(f"{CHANGELIST}{ready.pk}/change/").content.decode()

    assert "Before it can be published: add at least one step; name a primary muscle" in bare_page
    assert "Nothing: it is ready." in ready_page
