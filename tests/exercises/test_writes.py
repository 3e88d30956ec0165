from datetime import UTC, datetime

import pytest
from django.db import IntegrityError

from exercises import services
from exercises.models import (
    Exercise,
    ExerciseMedia,
    ExerciseMuscle,
    ExerciseProgression,
    ExerciseStep,
)
from tests.conftest import EXERCISES_URL, exercise_url
from tests.exercises.conftest import publishable
from tests.factories import (
    EquipmentFactory,
    ExerciseAliasFactory,
    ExerciseCueFactory,
    ExerciseEquipmentFactory,
    ExerciseFactory,
    ExerciseMediaFactory,
    ExerciseMuscleFactory,
    ExerciseProgressionFactory,
    ExerciseStepFactory,
    MuscleFactory,
    RoutineItemFactory,
)
from tests.helpers import assert_error, error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def refs():
    """Muscles, equipment and exercises that a new exercise can point at."""
    return {
        "psoas": MuscleFactory(name="Psoas major", slug="psoas-major", attaches_lumbar_spine=True),
        "rectus": MuscleFactory(name="Rectus femoris", slug="rectus-femoris", crosses_knee=True),
        "wall": EquipmentFactory(name="Wall", slug="wall"),
        "cushion": EquipmentFactory(name="Cushion", slug="cushion"),
        "milder": ExerciseFactory(name="Half-Kneeling Stretch"),
        "harder": ExerciseFactory(name="Standing Runner"),
    }


def new_exercise(**overrides):
    payload = {
        "name": "King Runner",
        "kind": "stretch",
        "summary": "A deeper half-kneeling stretch.",
        "difficulty": 2,
        "unilateral": True,
        "published": True,
        "prescription": {"sets": 2, "reps_per_side": None, "hold_seconds": 45, "note": "Ease in."},
        "steps": ["Kneel facing away from a wall.", "Step the other foot forward."],
        "cues": ["Tuck the pelvis."],
        "cautions": ["Stop if it hurts."],
        "setup_notes": ["Pad the knee."],
        "muscles": [
            {"slug": "rectus-femoris", "role": "primary"},
            {"slug": "psoas-major", "role": "secondary"},
        ],
        "equipment": [{"slug": "wall"}, {"slug": "cushion", "optional": True}],
        "milder_options": [{"slug": "half-kneeling-stretch"}],
        "harder_options": [{"slug": "standing-runner"}],
        "aliases": ["Couch stretch"],
        "media": [
            {
                "kind": "image",
                "url": "https://media.example.com/king-runner.jpg",
                "caption": "Side view",
                "licence": "CC BY 4.0",
                "attribution": "A. Trainer",
            }
        ],
    }
    payload.update(overrides)
    return payload


def row_counts():
    return (
        Exercise.objects.count(),
        ExerciseStep.objects.count(),
        ExerciseMuscle.objects.count(),
        ExerciseProgression.objects.count(),
    )


# Who may write


@pytest.mark.parametrize(
    ("method", "status"), [("post", 201), ("put", 200), ("patch", 200), ("delete", 204)]
)
def test_trainer_may_write(trainer_client, refs, method, status):
    ExerciseFactory(name="Target")
    url = EXERCISES_URL if method == "post" else exercise_url("target")
    body = new_exercise(name="Target") if method == "put" else new_exercise()
    if method == "patch":
        body = {"summary": "Changed."}

    response = getattr(trainer_client, method)(url, body)

    assert response.status_code == status


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_anonymous_write_is_401_not_authenticated(api_client, refs, method):
    ExerciseFactory(name="Target")
    url = EXERCISES_URL if method == "post" else exercise_url("target")

    response = getattr(api_client, method)(url, new_exercise())

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert Exercise.objects.filter(slug="target", summary="What Target is for.").exists()
    assert not Exercise.objects.filter(slug="king-runner").exists()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_plain_user_write_is_403_permission_denied(user_client, refs, method):
    ExerciseFactory(name="Target")
    url = EXERCISES_URL if method == "post" else exercise_url("target")

    response = getattr(user_client, method)(url, new_exercise())

    assert_error(response, 403, "permission_denied")
    assert Exercise.objects.filter(slug="target", summary="What Target is for.").exists()
    assert not Exercise.objects.filter(slug="king-runner").exists()


def test_trainer_delete_removes_the_exercise_and_its_rows(trainer_client):
    exercise = ExerciseFactory(name="Doomed")
    ExerciseStepFactory(exercise=exercise)
    ExerciseProgressionFactory(milder=exercise)

    response = trainer_client.delete(exercise_url("doomed"))

    assert response.status_code == 204
    assert not Exercise.objects.filter(slug="doomed").exists()
    assert ExerciseStep.objects.count() == 0
    assert ExerciseProgression.objects.count() == 0


def test_trainer_may_edit_unpublished_exercise(trainer_client):
    publishable(ExerciseFactory(name="Draft", published=False))

    response = trainer_client.patch(exercise_url("draft"), {"published": True})

    assert response.status_code == 200
    assert Exercise.objects.get(slug="draft").published is True


# Create


def test_create_saves_every_nested_list(trainer_client, refs):
    response = trainer_client.post(EXERCISES_URL, new_exercise())

    assert response.status_code == 201, response.json()
    body = trainer_client.get(exercise_url("king-runner")).json()
    assert body["prescription"] == {
        "sets": 2,
        "reps_per_side": None,
        "hold_seconds": 45,
        "note": "Ease in.",
    }
    assert body["steps"] == ["Kneel facing away from a wall.", "Step the other foot forward."]
    assert body["cues"] == ["Tuck the pelvis."]
    assert body["cautions"] == ["Stop if it hurts."]
    assert body["setup_notes"] == ["Pad the knee."]
    assert [(m["slug"], m["role"]) for m in body["muscles"]] == [
        ("rectus-femoris", "primary"),
        ("psoas-major", "secondary"),
    ]
    assert body["equipment"] == [
        {"slug": "wall", "name": "Wall", "optional": False},
        {"slug": "cushion", "name": "Cushion", "optional": True},
    ]
    assert body["milder_options"] == [
        {"slug": "half-kneeling-stretch", "name": "Half-Kneeling Stretch"}
    ]
    assert body["harder_options"] == [{"slug": "standing-runner", "name": "Standing Runner"}]
    assert body["aliases"] == ["Couch stretch"]
    (link,) = body["media"]
    assert link == {
        **new_exercise()["media"][0],
        "id": ExerciseMedia.objects.get().pk,
        "width": None,  # A link's size is not known here.
        "height": None,
        "renditions": [],
    }
    assert body["published"] is True


def test_create_response_is_the_full_exercise(trainer_client, refs):
    body = trainer_client.post(EXERCISES_URL, new_exercise()).json()

    assert body["slug"] == "king-runner"
    assert body["steps"] == new_exercise()["steps"]
    assert body["harder_options"] == [{"slug": "standing-runner", "name": "Standing Runner"}]
    assert body["created_at"]


def test_create_makes_the_slug_from_the_name(trainer_client):
    response = trainer_client.post(
        EXERCISES_URL, {"name": "90/90 Hip Switch", "kind": "mobility", "summary": "Hips."}
    )

    assert response.status_code == 201, response.json()
    assert response.json()["slug"] == "9090-hip-switch"
    assert Exercise.objects.filter(slug="9090-hip-switch").exists()


def test_create_keeps_a_given_slug(trainer_client):
    response = trainer_client.post(
        EXERCISES_URL,
        {"name": "Hip Bridge", "slug": "bridge", "kind": "strengthen", "summary": "."},
    )

    assert response.status_code == 201
    assert Exercise.objects.get(slug="bridge").name == "Hip Bridge"


def test_create_with_only_required_fields_leaves_the_rest_empty(trainer_client):
    response = trainer_client.post(
        EXERCISES_URL, {"name": "Bare", "kind": "stretch", "summary": "."}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["published"] is False
    assert body["difficulty"] == 1
    assert body["steps"] == []
    assert body["muscles"] == []


def test_create_without_required_fields_is_400(trainer_client):
    response = trainer_client.post(EXERCISES_URL, {})

    assert error_fields(response) == {"name", "kind", "summary"}


def test_duplicate_name_is_400(trainer_client):
    ExerciseFactory(name="Hip Bridge", slug="hip-bridge")

    response = trainer_client.post(
        EXERCISES_URL, {"name": "Hip Bridge", "slug": "other", "kind": "stretch", "summary": "."}
    )

    assert "name" in error_fields(response)
    assert Exercise.objects.count() == 1


def test_duplicate_given_slug_is_400(trainer_client):
    ExerciseFactory(name="Hip Bridge", slug="hip-bridge")

    response = trainer_client.post(
        EXERCISES_URL,
        {"name": "Glute Bridge", "slug": "hip-bridge", "kind": "stretch", "summary": "."},
    )

    assert error_fields(response) == {"slug"}


def test_duplicate_slug_made_from_name_is_400(trainer_client):
    ExerciseFactory(name="Hip Bridge", slug="hip-bridge")

    response = trainer_client.post(
        EXERCISES_URL, {"name": "hip bridge", "kind": "stretch", "summary": "."}
    )

    assert error_fields(response) == {"slug"}
    assert Exercise.objects.count() == 1


def test_name_without_slug_characters_is_400(trainer_client):
    response = trainer_client.post(
        EXERCISES_URL, {"name": "!!!", "kind": "stretch", "summary": "."}
    )

    assert error_fields(response) == {"slug"}


def test_unknown_muscle_slug_is_400_and_saves_nothing(trainer_client, refs):
    before = row_counts()
    payload = new_exercise(muscles=[{"slug": "no-such-muscle"}, {"slug": "psoas-major"}])

    response = trainer_client.post(EXERCISES_URL, payload)

    assert error_fields(response) == {"muscles.0.slug"}
    assert row_counts() == before


def test_unknown_equipment_slug_is_400(trainer_client, refs):
    response = trainer_client.post(
        EXERCISES_URL, new_exercise(equipment=[{"slug": "wall"}, {"slug": "x"}])
    )

    assert error_fields(response) == {"equipment.1.slug"}


def test_unknown_option_slug_is_400(trainer_client, refs):
    response = trainer_client.post(EXERCISES_URL, new_exercise(harder_options=[{"slug": "nope"}]))

    assert error_fields(response) == {"harder_options.0.slug"}


def test_muscle_listed_twice_is_400(trainer_client, refs):
    payload = new_exercise(muscles=[{"slug": "psoas-major"}, {"slug": "psoas-major"}])

    assert error_fields(trainer_client.post(EXERCISES_URL, payload)) == {"muscles.1.slug"}


def test_unknown_muscle_role_is_400(trainer_client, refs):
    payload = new_exercise(muscles=[{"slug": "psoas-major", "role": "main"}])

    assert error_fields(trainer_client.post(EXERCISES_URL, payload)) == {"muscles.0.role"}


def test_alias_listed_twice_ignoring_case_is_400(trainer_client, refs):
    payload = new_exercise(aliases=["Couch stretch", "couch STRETCH"])

    assert error_fields(trainer_client.post(EXERCISES_URL, payload)) == {"aliases"}


def test_step_too_long_is_400_naming_its_index(trainer_client, refs):
    payload = new_exercise(steps=["Fine.", "x" * 301])

    assert error_fields(trainer_client.post(EXERCISES_URL, payload)) == {"steps.1"}


def test_invalid_media_is_400_naming_the_field(trainer_client, refs):
    payload = new_exercise(media=[{"kind": "gif", "url": "not a url", "licence": "CC0"}])

    assert error_fields(trainer_client.post(EXERCISES_URL, payload)) == {
        "media.0.kind",
        "media.0.url",
    }


def test_option_in_both_milder_and_harder_is_400(trainer_client, refs):
    payload = new_exercise(
        milder_options=[{"slug": "standing-runner"}], harder_options=[{"slug": "standing-runner"}]
    )
    before = row_counts()

    response = trainer_client.post(EXERCISES_URL, payload)

    assert error_fields(response) == {"harder_options"}
    assert row_counts() == before


@pytest.mark.parametrize("field", ["milder_options", "harder_options"])
def test_exercise_cannot_be_its_own_option(trainer_client, field):
    ExerciseFactory(name="Lunge")

    response = trainer_client.patch(exercise_url("lunge"), {field: [{"slug": "lunge"}]})

    assert error_fields(response) == {field}
    assert ExerciseProgression.objects.count() == 0


def test_patch_cannot_make_a_harder_option_also_milder(trainer_client):
    lunge = ExerciseFactory(name="Lunge")
    ExerciseProgressionFactory(milder=lunge, harder=ExerciseFactory(name="Jump Lunge"))

    response = trainer_client.patch(
        exercise_url("lunge"), {"milder_options": [{"slug": "jump-lunge"}]}
    )

    assert error_fields(response) == {"harder_options"}
    assert ExerciseProgression.objects.count() == 1


@pytest.mark.parametrize(
    ("prescription", "field"),
    [
        ({"sets": 0}, "prescription.sets"),
        ({"sets": 21}, "prescription.sets"),
        ({"hold_seconds": -1}, "prescription.hold_seconds"),
        ({"hold_seconds": 601}, "prescription.hold_seconds"),
        ({"reps_per_side": 10000}, "prescription.reps_per_side"),
        ({"note": "x" * 301}, "prescription.note"),
    ],
)
def test_out_of_range_prescription_is_400(trainer_client, refs, prescription, field):
    before = row_counts()

    response = trainer_client.post(EXERCISES_URL, new_exercise(prescription=prescription))

    assert error_fields(response) == {field}
    assert row_counts() == before


def test_invalid_kind_and_difficulty_are_400(trainer_client, refs):
    response = trainer_client.post(EXERCISES_URL, new_exercise(kind="cardio", difficulty=4))

    assert error_fields(response) == {"kind", "difficulty"}


def test_numbers_sent_as_strings_are_400_not_read_as_numbers(trainer_client, refs):
    before = row_counts()

    response = trainer_client.post(
        EXERCISES_URL, new_exercise(difficulty="2", prescription={"sets": "3"})
    )

    assert error_fields(response) == {"difficulty", "prescription.sets"}
    assert row_counts() == before


# Update


@pytest.fixture
def lunge():
    exercise = ExerciseFactory(name="Lunge", sets=3, reps_per_side=10)
    ExerciseStepFactory(exercise=exercise, position=1, text="Step forward.")
    ExerciseCueFactory(exercise=exercise, position=1, text="Stay tall.")
    ExerciseAliasFactory(exercise=exercise, name="Forward lunge")
    ExerciseMediaFactory(exercise=exercise)
    ExerciseMuscleFactory(exercise=exercise)
    ExerciseEquipmentFactory(exercise=exercise)
    ExerciseProgressionFactory(milder=ExerciseFactory(name="Split Squat"), harder=exercise)
    Exercise.objects.filter(pk=exercise.pk).update(updated_at=datetime(2025, 1, 1, tzinfo=UTC))
    return exercise


def test_patch_of_one_list_leaves_the_others_alone(trainer_client, lunge):
    response = trainer_client.patch(exercise_url("lunge"), {"steps": ["Step back.", "Lower."]})

    assert response.status_code == 200, response.json()
    body = trainer_client.get(exercise_url("lunge")).json()
    assert body["steps"] == ["Step back.", "Lower."]
    assert body["cues"] == ["Stay tall."]
    assert body["aliases"] == ["Forward lunge"]
    assert len(body["media"]) == 1
    assert len(body["muscles"]) == 1
    assert len(body["equipment"]) == 1
    assert body["milder_options"] == [{"slug": "split-squat", "name": "Split Squat"}]
    assert body["prescription"]["sets"] == 3


def test_patch_bumps_updated_at(trainer_client, lunge):
    response = trainer_client.patch(exercise_url("lunge"), {"cues": ["Breathe."]})

    lunge.refresh_from_db()
    assert lunge.updated_at > datetime(2025, 1, 1, tzinfo=UTC)
    assert response.json()["updated_at"] != "2025-01-01T00:00:00Z"


def test_patch_of_prescription_changes_only_the_named_measure(trainer_client, lunge):
    response = trainer_client.patch(exercise_url("lunge"), {"prescription": {"hold_seconds": 30}})

    assert response.status_code == 200
    assert response.json()["prescription"] == {
        "sets": 3,
        "reps_per_side": 10,
        "hold_seconds": 30,
        "note": "",
    }


def test_patch_cannot_rename_the_slug_that_apps_and_logs_refer_to(trainer_client, lunge):
    response = trainer_client.patch(exercise_url("lunge"), {"slug": "forward-lunge"})

    assert error_fields(response) == {"slug"}
    assert trainer_client.get(exercise_url("lunge")).status_code == 200
    assert trainer_client.get(exercise_url("forward-lunge")).status_code == 404


def test_patch_to_another_exercises_slug_is_400(trainer_client, lunge):
    assert error_fields(trainer_client.patch(exercise_url("lunge"), {"slug": "split-squat"})) == {
        "slug"
    }


def test_patch_keeping_its_own_name_and_slug_is_allowed(trainer_client, lunge):
    response = trainer_client.patch(exercise_url("lunge"), {"name": "Lunge", "slug": "lunge"})

    assert response.status_code == 200


def test_put_replaces_the_lists_it_names(trainer_client, lunge, refs):
    payload = new_exercise(name="Lunge", slug="lunge")

    response = trainer_client.put(exercise_url("lunge"), payload)

    assert response.status_code == 200, response.json()
    body = trainer_client.get(exercise_url("lunge")).json()
    assert body["steps"] == payload["steps"]
    assert body["cues"] == payload["cues"]
    assert body["aliases"] == ["Couch stretch"]
    assert [m["slug"] for m in body["muscles"]] == ["rectus-femoris", "psoas-major"]
    assert [e["slug"] for e in body["equipment"]] == ["wall", "cushion"]
    assert body["milder_options"] == [
        {"slug": "half-kneeling-stretch", "name": "Half-Kneeling Stretch"}
    ]
    assert body["harder_options"] == [{"slug": "standing-runner", "name": "Standing Runner"}]


def test_put_empties_the_lists_it_leaves_out(trainer_client, lunge):
    # As a draft: a published exercise may not lose its steps and muscles.
    body = {"name": "Lunge", "kind": "strengthen", "summary": "Legs.", "published": False}
    response = trainer_client.put(exercise_url("lunge"), body)

    assert response.status_code == 200, response.json()
    body = trainer_client.get(exercise_url("lunge")).json()
    assert body["summary"] == "Legs."
    for key in [
        "steps",
        "cues",
        "cautions",
        "setup_notes",
        "aliases",
        "media",
        "muscles",
        "equipment",
        "milder_options",
        "harder_options",
    ]:
        assert body[key] == [], key


def test_put_without_required_fields_is_400(trainer_client, lunge):
    response = trainer_client.put(exercise_url("lunge"), {"steps": ["Only steps."]})

    assert error_fields(response) == {"name", "kind", "summary"}
    assert list(lunge.steps.values_list("text", flat=True)) == ["Step forward."]


def test_harder_option_shows_the_exercise_as_milder_on_the_other_side(trainer_client, api_client):
    ExerciseFactory(name="Alpha")
    ExerciseFactory(name="Bravo")

    response = trainer_client.patch(exercise_url("alpha"), {"harder_options": [{"slug": "bravo"}]})

    assert response.status_code == 200
    bravo = api_client.get(exercise_url("bravo")).json()
    assert bravo["milder_options"] == [{"slug": "alpha", "name": "Alpha"}]
    assert bravo["harder_options"] == []


def test_milder_option_shows_the_exercise_as_harder_on_the_other_side(trainer_client, api_client):
    ExerciseFactory(name="Alpha")
    ExerciseFactory(name="Bravo")

    trainer_client.patch(exercise_url("alpha"), {"milder_options": [{"slug": "bravo"}]})

    assert api_client.get(exercise_url("bravo")).json()["harder_options"] == [
        {"slug": "alpha", "name": "Alpha"}
    ]


def test_patch_with_empty_list_clears_it(trainer_client, lunge):
    response = trainer_client.patch(exercise_url("lunge"), {"milder_options": [], "aliases": []})

    assert response.status_code == 200
    assert response.json()["milder_options"] == []
    assert response.json()["aliases"] == []
    assert response.json()["steps"] == ["Step forward."]


def test_failed_update_changes_nothing(trainer_client, lunge):
    response = trainer_client.patch(
        exercise_url("lunge"),
        {"summary": "Changed.", "steps": ["New."], "muscles": [{"slug": "no-such-muscle"}]},
    )

    assert error_fields(response) == {"muscles.0.slug"}
    lunge.refresh_from_db()
    assert lunge.summary == "What Lunge is for."
    assert list(lunge.steps.values_list("text", flat=True)) == ["Step forward."]


# The services behind the writes: all or nothing even when the database refuses a row


def test_create_service_rolls_back_the_exercise_when_a_related_row_fails():
    psoas = MuscleFactory()
    before = row_counts()

    with pytest.raises(IntegrityError):
        services.exercise_create(
            data={
                "name": "Lunge",
                "slug": "lunge",
                "kind": "strengthen",
                "summary": ".",
                "steps": ["Step forward."],
                "muscle_links": [{"muscle": psoas}, {"muscle": psoas}],
            }
        )

    assert row_counts() == before


def test_update_service_rolls_back_every_change_when_a_related_row_fails(lunge):
    psoas = MuscleFactory()

    with pytest.raises(IntegrityError):
        services.exercise_update(
            exercise=lunge,
            data={
                "summary": "Changed.",
                "steps": ["New."],
                "muscle_links": [{"muscle": psoas}, {"muscle": psoas}],
            },
        )

    lunge.refresh_from_db()
    assert lunge.summary == "What Lunge is for."
    assert list(lunge.steps.values_list("text", flat=True)) == ["Step forward."]
    assert lunge.muscle_links.count() == 1


def test_deleting_an_exercise_a_routine_uses_is_409_and_keeps_it(trainer_client):
    exercise = ExerciseFactory(name="Held")
    RoutineItemFactory(routine__name="Morning", exercise=exercise, hold_seconds=30)

    response = trainer_client.delete(exercise_url("held"))

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "routine items" in response.json()["detail"]
    assert Exercise.objects.filter(slug="held").exists()


def test_a_patch_of_the_media_needs_every_item_whole(trainer_client):
    ExerciseFactory(name="Lunge")

    response = trainer_client.patch(exercise_url("lunge"), {"media": [{"kind": "image"}]})

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"media.0.licence"}
    # A new item needs its link as well (an id would keep one the exercise has).
    item = {"kind": "image", "licence": "CC0", "attribution": "Sam"}
    response = trainer_client.patch(exercise_url("lunge"), {"media": [item]})
    assert {e["field"] for e in response.json()["errors"]} == {"media.0.url"}
