import pytest

from tests.conftest import EXERCISES_URL, exercise_url
from tests.exercises.conftest import slugs
from tests.factories import (
    EquipmentFactory,
    ExerciseAliasFactory,
    ExerciseCautionFactory,
    ExerciseCueFactory,
    ExerciseEquipmentFactory,
    ExerciseFactory,
    ExerciseMediaFactory,
    ExerciseMuscleFactory,
    ExerciseProgressionFactory,
    ExerciseSetupNoteFactory,
    ExerciseStepFactory,
    MuscleFactory,
)

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {
    "slug",
    "name",
    "kind",
    "summary",
    "difficulty",
    "unilateral",
    "published",
    "updated_at",
}


# The list: pagination


def test_list_is_paginated_twenty_to_a_page_by_default(api_client):
    ExerciseFactory.create_batch(21)

    body = api_client.get(EXERCISES_URL).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 21
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert body["next"].endswith("/api/v1/exercises/?page=2")


def test_second_page_holds_the_rest_and_links_back(api_client):
    ExerciseFactory.create_batch(21)

    body = api_client.get(EXERCISES_URL, {"page": 2}).json()

    assert len(body["results"]) == 1
    assert body["next"] is None
    assert body["previous"].endswith("/api/v1/exercises/")


def test_page_size_picks_how_many_results_a_page_holds(api_client):
    ExerciseFactory.create_batch(5)

    body = api_client.get(EXERCISES_URL, {"page_size": 2}).json()

    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert "page_size=2" in body["next"]


def test_page_size_of_one_hundred_is_allowed(api_client):
    ExerciseFactory.create_batch(3)

    response = api_client.get(EXERCISES_URL, {"page_size": 100})

    assert response.status_code == 200
    assert response.json()["count"] == 3


@pytest.mark.parametrize("page_size", ["101", "0", "-1", "abc", "1.5", "²"])
def test_page_size_outside_one_to_one_hundred_is_400(api_client, page_size):
    response = api_client.get(EXERCISES_URL, {"page_size": page_size})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"][0]["field"] == "page_size"


@pytest.mark.parametrize("page", ["0", "-1", "abc", "last"])
def test_page_that_is_not_a_positive_number_is_400(api_client, page):
    ExerciseFactory()

    response = api_client.get(EXERCISES_URL, {"page": page})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "page"


def test_page_past_the_end_is_404(api_client):
    ExerciseFactory.create_batch(3)

    response = api_client.get(EXERCISES_URL, {"page": 2})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_empty_catalog_has_an_empty_first_page(api_client):
    response = api_client.get(EXERCISES_URL)

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


# The list: content and visibility


def test_list_items_are_summaries(api_client):
    exercise = ExerciseFactory(
        name="Hip Bridge", kind="strengthen", difficulty=2, unilateral=True, summary="Glutes."
    )
    ExerciseStepFactory(exercise=exercise)

    (item,) = api_client.get(EXERCISES_URL).json()["results"]

    assert set(item) == SUMMARY_KEYS
    assert item["slug"] == "hip-bridge"
    assert item["name"] == "Hip Bridge"
    assert item["kind"] == "strengthen"
    assert item["difficulty"] == 2
    assert item["unilateral"] is True
    assert item["summary"] == "Glutes."
    assert item["published"] is True


def test_list_is_ordered_by_name_by_default(api_client):
    for name in ["Lunge", "Bridge", "Couch Stretch"]:
        ExerciseFactory(name=name)

    response = api_client.get(EXERCISES_URL)

    assert slugs(response) == ["bridge", "couch-stretch", "lunge"]


def test_unpublished_exercise_is_absent_from_list_for_anonymous(api_client):
    ExerciseFactory(name="Visible")
    ExerciseFactory(name="Draft", published=False)

    body = api_client.get(EXERCISES_URL).json()

    assert body["count"] == 1
    assert [item["slug"] for item in body["results"]] == ["visible"]


def test_unpublished_exercise_is_absent_from_list_for_plain_user(user_client):
    ExerciseFactory(name="Draft", published=False)

    assert user_client.get(EXERCISES_URL).json()["count"] == 0


def test_trainer_sees_unpublished_exercise_in_list(trainer_client):
    ExerciseFactory(name="Visible")
    ExerciseFactory(name="Draft", published=False)

    response = trainer_client.get(EXERCISES_URL)

    assert slugs(response) == ["draft", "visible"]
    assert response.json()["results"][0]["published"] is False


# The detail


@pytest.fixture
def king_runner_in_full():
    """The King Runner with something in every list an exercise has."""
    exercise = ExerciseFactory(
        name="King Runner",
        kind="stretch",
        summary="A deeper half-kneeling stretch.",
        difficulty=2,
        unilateral=True,
        sets=2,
        reps_per_side=None,
        hold_seconds=45,
        prescription_note="Ease in.",
    )
    # Positions saved out of order: the API must sort them, not trust insertion order.
    ExerciseStepFactory(exercise=exercise, position=3, text="Lift the chest.")
    ExerciseStepFactory(exercise=exercise, position=1, text="Kneel facing away from a wall.")
    ExerciseStepFactory(exercise=exercise, position=2, text="Step the other foot forward.")
    ExerciseCueFactory(exercise=exercise, position=2, text="Squeeze the glute.")
    ExerciseCueFactory(exercise=exercise, position=1, text="Tuck the pelvis.")
    ExerciseCautionFactory(exercise=exercise, position=1, text="Stop if it hurts.")
    ExerciseSetupNoteFactory(exercise=exercise, position=1, text="Pad the knee.")
    ExerciseAliasFactory(exercise=exercise, name="Couch stretch")
    ExerciseMediaFactory(
        exercise=exercise,
        kind="video",
        url="https://media.example.com/king-runner.mp4",
        caption="Side view",
        licence="CC BY 4.0",
        attribution="A. Trainer",
    )
    ExerciseMuscleFactory(
        exercise=exercise,
        muscle=MuscleFactory(name="Rectus femoris", slug="rectus-femoris", crosses_knee=True),
        role="primary",
    )
    ExerciseMuscleFactory(
        exercise=exercise,
        muscle=MuscleFactory(name="Psoas major", slug="psoas-major", attaches_lumbar_spine=True),
        role="secondary",
    )
    ExerciseEquipmentFactory(
        exercise=exercise, equipment=EquipmentFactory(name="Wall", slug="wall"), optional=False
    )
    ExerciseEquipmentFactory(
        exercise=exercise, equipment=EquipmentFactory(name="Cushion", slug="cushion"), optional=True
    )
    ExerciseProgressionFactory(
        milder=ExerciseFactory(name="Half-Kneeling Stretch"), harder=exercise
    )
    ExerciseProgressionFactory(
        milder=exercise, harder=ExerciseFactory(name="Draft Runner", published=False)
    )
    return exercise


def test_detail_has_every_part_of_the_exercise(api_client, king_runner_in_full):
    response = api_client.get(exercise_url("king-runner"))

    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "king-runner"
    assert body["name"] == "King Runner"
    assert body["kind"] == "stretch"
    assert body["difficulty"] == 2
    assert body["unilateral"] is True
    assert body["published"] is True
    assert body["prescription"] == {
        "sets": 2,
        "reps_per_side": None,
        "hold_seconds": 45,
        "note": "Ease in.",
    }
    assert body["aliases"] == ["Couch stretch"]
    assert body["media"] == [
        {
            "id": king_runner_in_full.media.get().pk,
            "kind": "video",
            "url": "https://media.example.com/king-runner.mp4",
            "caption": "Side view",
            "licence": "CC BY 4.0",
            "attribution": "A. Trainer",
            "width": None,
            "height": None,
            "renditions": [],
        }
    ]
    assert body["created_at"]
    assert body["updated_at"]


def test_detail_text_lists_are_strings_in_position_order(api_client, king_runner_in_full):
    body = api_client.get(exercise_url("king-runner")).json()

    assert body["steps"] == [
        "Kneel facing away from a wall.",
        "Step the other foot forward.",
        "Lift the chest.",
    ]
    assert body["cues"] == ["Tuck the pelvis.", "Squeeze the glute."]
    assert body["cautions"] == ["Stop if it hurts."]
    assert body["setup_notes"] == ["Pad the knee."]


def test_detail_muscles_carry_role_and_anatomy_flags(api_client, king_runner_in_full):
    body = api_client.get(exercise_url("king-runner")).json()

    assert body["muscles"] == [
        {
            "slug": "rectus-femoris",
            "name": "Rectus femoris",
            "role": "primary",
            "attaches_lumbar_spine": False,
            "crosses_knee": True,
        },
        {
            "slug": "psoas-major",
            "name": "Psoas major",
            "role": "secondary",
            "attaches_lumbar_spine": True,
            "crosses_knee": False,
        },
    ]


def test_detail_equipment_says_what_is_optional(api_client, king_runner_in_full):
    body = api_client.get(exercise_url("king-runner")).json()

    assert body["equipment"] == [
        {"slug": "wall", "name": "Wall", "optional": False},
        {"slug": "cushion", "name": "Cushion", "optional": True},
    ]


def test_detail_hides_unpublished_options_from_anonymous(api_client, king_runner_in_full):
    body = api_client.get(exercise_url("king-runner")).json()

    assert body["milder_options"] == [
        {"slug": "half-kneeling-stretch", "name": "Half-Kneeling Stretch"}
    ]
    assert body["harder_options"] == []


def test_detail_hides_unpublished_options_from_plain_user(user_client, king_runner_in_full):
    body = user_client.get(exercise_url("king-runner")).json()

    assert body["harder_options"] == []


def test_trainer_sees_unpublished_options(trainer_client, king_runner_in_full):
    body = trainer_client.get(exercise_url("king-runner")).json()

    assert body["harder_options"] == [{"slug": "draft-runner", "name": "Draft Runner"}]


def test_detail_of_exercise_without_prescription_has_nulls(api_client):
    ExerciseFactory(name="Plain")

    body = api_client.get(exercise_url("plain")).json()

    assert body["prescription"] == {
        "sets": None,
        "reps_per_side": None,
        "hold_seconds": None,
        "note": "",
    }
    assert body["steps"] == []
    assert body["muscles"] == []


def test_unpublished_exercise_is_404_for_anonymous(api_client):
    ExerciseFactory(name="Draft", published=False)

    response = api_client.get(exercise_url("draft"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unpublished_exercise_is_404_for_plain_user(user_client):
    ExerciseFactory(name="Draft", published=False)

    assert user_client.get(exercise_url("draft")).status_code == 404


def test_trainer_sees_unpublished_exercise(trainer_client):
    ExerciseFactory(name="Draft", published=False)

    response = trainer_client.get(exercise_url("draft"))

    assert response.status_code == 200
    assert response.json()["published"] is False


def test_unknown_slug_is_404(api_client):
    response = api_client.get(exercise_url("no-such-exercise"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# Query budgets


def _exercise_with_everything(name):
    exercise = ExerciseFactory(name=name)
    ExerciseStepFactory(exercise=exercise)
    ExerciseAliasFactory(exercise=exercise)
    ExerciseMuscleFactory(exercise=exercise)
    ExerciseEquipmentFactory(exercise=exercise)
    return exercise


@pytest.mark.parametrize("exercises", [1, 50])
def test_list_query_count_does_not_grow_with_page_size(
    api_client, django_assert_num_queries, exercises
):
    for n in range(exercises):
        _exercise_with_everything(f"Exercise {n:02d}")

    # The catalog version, then one COUNT and one SELECT for the page, however many rows it
    # holds; the same page asked again comes from the cache, for the version alone.
    with django_assert_num_queries(3):
        response = api_client.get(EXERCISES_URL, {"page_size": 50})
    with django_assert_num_queries(1):
        again = api_client.get(EXERCISES_URL, {"page_size": 50})

    assert len(response.json()["results"]) == exercises
    assert again.content == response.content


def test_detail_query_count_is_fixed(api_client, king_runner_in_full, django_assert_num_queries):
    # The catalog version, the exercise, then one query for each of its ten related lists
    # and one for its media's renditions.
    with django_assert_num_queries(13):
        response = api_client.get(exercise_url("king-runner"))

    assert response.status_code == 200


def test_detail_query_count_does_not_grow_with_list_lengths(
    api_client, king_runner_in_full, django_assert_num_queries
):
    ExerciseStepFactory.create_batch(10, exercise=king_runner_in_full)
    ExerciseMuscleFactory.create_batch(5, exercise=king_runner_in_full)
    ExerciseEquipmentFactory.create_batch(5, exercise=king_runner_in_full)
    for n in range(5):
        ExerciseProgressionFactory(
            milder=ExerciseFactory(name=f"Milder {n}"), harder=king_runner_in_full
        )

    with django_assert_num_queries(13):
        response = api_client.get(exercise_url("king-runner"))

    assert len(response.json()["steps"]) == 13


# Muscles and equipment


def test_muscle_list_is_public_and_paginated(api_client):
    MuscleFactory(name="Psoas major", slug="psoas-major", group="Hip flexors")
    MuscleFactory(name="Iliacus", slug="iliacus", group="Hip flexors")

    response = api_client.get("/api/v1/muscles/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is None
    assert [m["slug"] for m in body["results"]] == ["iliacus", "psoas-major"]


def test_muscle_detail_by_slug(api_client):
    MuscleFactory(
        name="Psoas major",
        slug="psoas-major",
        group="Hip flexors",
        description="Deep hip flexor.",
        attaches_lumbar_spine=True,
    )

    response = api_client.get("/api/v1/muscles/psoas-major/")

    assert response.status_code == 200
    assert response.json() == {
        "slug": "psoas-major",
        "name": "Psoas major",
        "group": "Hip flexors",
        "description": "Deep hip flexor.",
        "attaches_lumbar_spine": True,
        "crosses_knee": False,
    }


def test_muscle_list_honours_page_size(api_client):
    MuscleFactory.create_batch(3)

    body = api_client.get("/api/v1/muscles/", {"page_size": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2


def test_unknown_muscle_is_404(api_client):
    assert api_client.get("/api/v1/muscles/no-such-muscle/").status_code == 404


def test_equipment_list_is_public_and_paginated(api_client):
    EquipmentFactory(name="Wall", slug="wall")
    EquipmentFactory(name="Cushion", slug="cushion")

    response = api_client.get("/api/v1/equipment/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [e["slug"] for e in body["results"]] == ["cushion", "wall"]


def test_equipment_detail_by_slug(api_client):
    EquipmentFactory(name="Wall", slug="wall", description="Any sturdy wall.")

    response = api_client.get("/api/v1/equipment/wall/")

    assert response.status_code == 200
    assert response.json() == {"slug": "wall", "name": "Wall", "description": "Any sturdy wall."}


def test_unknown_equipment_is_404(api_client):
    assert api_client.get("/api/v1/equipment/no-such-thing/").status_code == 404
