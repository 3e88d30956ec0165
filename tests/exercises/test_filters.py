from datetime import UTC, datetime, timedelta

import pytest

from exercises.models import Exercise
from tests.conftest import EXERCISES_URL
from tests.exercises.conftest import slugs
from tests.factories import (
    EquipmentFactory,
    ExerciseAliasFactory,
    ExerciseEquipmentFactory,
    ExerciseFactory,
    ExerciseMuscleFactory,
    MuscleFactory,
)

pytestmark = pytest.mark.django_db


def assert_rejects(response, field):
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert [error["field"] for error in body["errors"]] == [field]


@pytest.fixture
def catalog():
    """Three exercises that differ in kind, difficulty and side."""
    return {
        "bridge": ExerciseFactory(name="Bridge", kind="strengthen", difficulty=1, unilateral=False),
        "lunge": ExerciseFactory(name="Lunge", kind="strengthen", difficulty=2, unilateral=True),
        "couch": ExerciseFactory(
            name="Couch Stretch", kind="stretch", difficulty=3, unilateral=True
        ),
    }


def test_kind_filter(api_client, catalog):
    assert slugs(api_client.get(EXERCISES_URL, {"kind": "strengthen"})) == ["bridge", "lunge"]


def test_unknown_kind_is_400(api_client):
    assert_rejects(api_client.get(EXERCISES_URL, {"kind": "cardio"}), "kind")


def test_difficulty_filter_matches_exactly(api_client, catalog):
    assert slugs(api_client.get(EXERCISES_URL, {"difficulty": 2})) == ["lunge"]


@pytest.mark.parametrize("difficulty", ["0", "4", "hard"])
def test_difficulty_out_of_range_is_400(api_client, difficulty):
    assert_rejects(api_client.get(EXERCISES_URL, {"difficulty": difficulty}), "difficulty")


def test_max_difficulty_includes_easier_exercises(api_client, catalog):
    assert slugs(api_client.get(EXERCISES_URL, {"max_difficulty": 2})) == ["bridge", "lunge"]


def test_max_difficulty_out_of_range_is_400(api_client):
    assert_rejects(api_client.get(EXERCISES_URL, {"max_difficulty": "9"}), "max_difficulty")


def test_unilateral_true(api_client, catalog):
    assert slugs(api_client.get(EXERCISES_URL, {"unilateral": "true"})) == [
        "couch-stretch",
        "lunge",
    ]


def test_unilateral_false(api_client, catalog):
    assert slugs(api_client.get(EXERCISES_URL, {"unilateral": "false"})) == ["bridge"]


@pytest.mark.parametrize("value", ["maybe", "1", "True", "yes"])
def test_unilateral_accepts_only_true_or_false(api_client, catalog, value):
    assert_rejects(api_client.get(EXERCISES_URL, {"unilateral": value}), "unilateral")


def test_muscle_filter_by_slug(api_client, catalog):
    psoas = MuscleFactory(name="Psoas major", slug="psoas-major")
    ExerciseMuscleFactory(exercise=catalog["couch"], muscle=psoas)
    ExerciseMuscleFactory(exercise=catalog["lunge"], muscle=psoas, role="secondary")
    ExerciseMuscleFactory(exercise=catalog["bridge"])

    assert slugs(api_client.get(EXERCISES_URL, {"muscle": "psoas-major"})) == [
        "couch-stretch",
        "lunge",
    ]


def test_unknown_muscle_is_400(api_client):
    assert_rejects(api_client.get(EXERCISES_URL, {"muscle": "no-such-muscle"}), "muscle")


def test_equipment_filter_by_slug(api_client, catalog):
    wall = EquipmentFactory(name="Wall", slug="wall")
    ExerciseEquipmentFactory(exercise=catalog["couch"], equipment=wall)
    ExerciseEquipmentFactory(exercise=catalog["bridge"])

    assert slugs(api_client.get(EXERCISES_URL, {"equipment": "wall"})) == ["couch-stretch"]


def test_unknown_equipment_is_400(api_client):
    assert_rejects(api_client.get(EXERCISES_URL, {"equipment": "no-such-thing"}), "equipment")


def test_filters_combine(api_client, catalog):
    response = api_client.get(EXERCISES_URL, {"kind": "strengthen", "unilateral": "true"})

    assert slugs(response) == ["lunge"]


def test_search_matches_name_ignoring_case(api_client, catalog):
    assert slugs(api_client.get(EXERCISES_URL, {"search": "STRETCH"})) == ["couch-stretch"]


def test_search_matches_alias(api_client, catalog):
    ExerciseAliasFactory(exercise=catalog["couch"], name="King Runner")

    assert slugs(api_client.get(EXERCISES_URL, {"search": "king run"})) == ["couch-stretch"]


def test_exercise_with_two_matching_aliases_is_listed_once(api_client, catalog):
    ExerciseAliasFactory(exercise=catalog["couch"], name="Kneeling hip stretch")
    ExerciseAliasFactory(exercise=catalog["couch"], name="Hip flexor stretch")

    response = api_client.get(EXERCISES_URL, {"search": "hip"})

    assert slugs(response) == ["couch-stretch"]
    assert response.json()["count"] == 1


def test_search_matching_name_and_alias_lists_exercise_once(api_client, catalog):
    ExerciseAliasFactory(exercise=catalog["bridge"], name="Glute bridge")

    response = api_client.get(EXERCISES_URL, {"search": "bridge"})

    assert slugs(response) == ["bridge"]
    assert response.json()["count"] == 1


def test_search_without_match_is_empty(api_client, catalog):
    assert slugs(api_client.get(EXERCISES_URL, {"search": "deadlift"})) == []


def test_search_does_not_reveal_unpublished_exercises(api_client, catalog):
    ExerciseFactory(name="Secret Stretch", published=False)

    assert slugs(api_client.get(EXERCISES_URL, {"search": "secret"})) == []


def test_search_longer_than_one_hundred_characters_is_400(api_client):
    assert_rejects(api_client.get(EXERCISES_URL, {"search": "x" * 101}), "search")


@pytest.fixture
def dated_catalog():
    old = ExerciseFactory(name="Old")
    new = ExerciseFactory(name="New")
    # auto_now stamps every save, so set the times with an UPDATE.
    Exercise.objects.filter(pk=old.pk).update(updated_at=datetime(2025, 1, 1, tzinfo=UTC))
    Exercise.objects.filter(pk=new.pk).update(updated_at=datetime(2025, 6, 1, tzinfo=UTC))
    return old, new


def test_updated_since_keeps_exercises_changed_at_or_after_the_time(api_client, dated_catalog):
    response = api_client.get(EXERCISES_URL, {"updated_since": "2025-06-01T00:00:00Z"})

    assert slugs(response) == ["new"]


def test_updated_since_accepts_an_offset(api_client, dated_catalog):
    # 2025-06-01T01:00+02:00 is 2025-05-31T23:00Z, before the newer exercise changed.
    response = api_client.get(EXERCISES_URL, {"updated_since": "2025-06-01T01:00:00+02:00"})

    assert slugs(response) == ["new"]


def test_updated_since_before_everything_keeps_everything(api_client, dated_catalog):
    response = api_client.get(EXERCISES_URL, {"updated_since": "2024-12-31T23:59:59Z"})

    assert slugs(response) == ["new", "old"]


@pytest.mark.parametrize("value", ["2025-03-01T00:00:00", "2025-03-01"], ids=["time", "date"])
def test_updated_since_without_its_offset_is_400_not_read_as_utc(api_client, dated_catalog, value):
    response = api_client.get(EXERCISES_URL, {"updated_since": value})

    assert_rejects(response, "updated_since")
    assert response.json()["errors"][0]["code"] == "naive"


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01T00:00:00Z", "12345"])
def test_updated_since_garbage_is_400(api_client, value):
    assert_rejects(api_client.get(EXERCISES_URL, {"updated_since": value}), "updated_since")


def test_ordering_by_difficulty(api_client, catalog):
    response = api_client.get(EXERCISES_URL, {"ordering": "difficulty"})

    assert slugs(response) == ["bridge", "lunge", "couch-stretch"]


def test_ordering_by_difficulty_descending(api_client, catalog):
    response = api_client.get(EXERCISES_URL, {"ordering": "-difficulty"})

    assert slugs(response) == ["couch-stretch", "lunge", "bridge"]


def test_ordering_by_name_descending(api_client, catalog):
    assert slugs(api_client.get(EXERCISES_URL, {"ordering": "-name"})) == [
        "lunge",
        "couch-stretch",
        "bridge",
    ]


def test_ordering_ties_are_broken_by_name(api_client):
    for name in ["Charlie", "Alpha", "Bravo"]:
        ExerciseFactory(name=name, difficulty=2)
    ExerciseFactory(name="Zulu", difficulty=1)

    response = api_client.get(EXERCISES_URL, {"ordering": "-difficulty"})

    assert slugs(response) == ["alpha", "bravo", "charlie", "zulu"]


def test_ordering_by_updated_at(api_client, dated_catalog):
    assert slugs(api_client.get(EXERCISES_URL, {"ordering": "updated_at"})) == ["old", "new"]
    assert slugs(api_client.get(EXERCISES_URL, {"ordering": "-updated_at"})) == ["new", "old"]


def test_ordering_by_created_at(api_client):
    first = ExerciseFactory(name="Zulu")
    second = ExerciseFactory(name="Alpha")
    base = datetime(2025, 1, 1, tzinfo=UTC)
    Exercise.objects.filter(pk=first.pk).update(created_at=base)
    Exercise.objects.filter(pk=second.pk).update(created_at=base + timedelta(days=1))

    assert slugs(api_client.get(EXERCISES_URL, {"ordering": "created_at"})) == ["zulu", "alpha"]
    assert slugs(api_client.get(EXERCISES_URL, {"ordering": "-created_at"})) == ["alpha", "zulu"]


@pytest.mark.parametrize("ordering", ["summary", "password", "-kind", "name;drop"])
def test_unknown_ordering_is_400(api_client, ordering):
    assert_rejects(api_client.get(EXERCISES_URL, {"ordering": ordering}), "ordering")


def test_ordering_pages_do_not_overlap(api_client):
    for n in range(6):
        ExerciseFactory(name=f"Exercise {n}", difficulty=1 + n % 2)

    first = slugs(api_client.get(EXERCISES_URL, {"ordering": "difficulty", "page_size": 3}))
    second = slugs(
        api_client.get(EXERCISES_URL, {"ordering": "difficulty", "page_size": 3, "page": 2})
    )

    assert len(set(first + second)) == 6
