import json
from io import StringIO

import pytest
from django.core.management import call_command

from exercises.management.commands.seed_catalog import SEED_FILE
from exercises.models import Equipment, Exercise, ExerciseProgression, Muscle, RoutineItem
from exercises.openapi import KING_RUNNER_EXAMPLE
from tests.conftest import EXERCISES_URL, exercise_url
from tests.exercises.conftest import ARTICLE_ORDER, seed_catalog
from tests.factories import ExerciseFactory

pytestmark = pytest.mark.django_db


def _detail(api_client, slug):
    response = api_client.get(exercise_url(slug))
    assert response.status_code == 200
    return response.json()


def test_seed_has_the_articles_four_published_exercises(seeded, api_client):
    body = api_client.get(EXERCISES_URL).json()
    assert sorted(item["slug"] for item in body["results"]) == sorted(ARTICLE_ORDER)
    assert all(item["published"] for item in body["results"])


def test_band_strengthener_is_ten_reps_per_leg_with_band_and_anchor(seeded, api_client):
    band = _detail(api_client, "strengthener-with-a-band")
    assert band["kind"] == "strengthen"
    assert band["unilateral"] is True
    assert band["prescription"]["reps_per_side"] == 10
    assert band["prescription"]["hold_seconds"] is None
    assert {e["slug"]: e["optional"] for e in band["equipment"]} == {
        "resistance-band": False,
        "anchor-point": False,
    }
    primary = {m["slug"] for m in band["muscles"] if m["role"] == "primary"}
    assert primary == {"psoas-major", "iliacus"}
    assert any("low back" in cue for cue in band["cues"])


def test_king_runner_is_the_harder_option_of_the_half_kneeling_stretch(seeded, api_client):
    king = _detail(api_client, "king-runner")
    half = _detail(api_client, "half-kneeling-stretch")
    assert king["milder_options"] == [
        {"slug": "half-kneeling-stretch", "name": "Half-Kneeling Stretch"}
    ]
    assert half["harder_options"] == [{"slug": "king-runner", "name": "King Runner"}]
    assert king["difficulty"] > half["difficulty"]


def test_king_runner_reaches_the_hip_flexor_that_crosses_the_knee(seeded, api_client):
    king = _detail(api_client, "king-runner")
    primary = [m for m in king["muscles"] if m["role"] == "primary"]
    assert [m["slug"] for m in primary] == ["rectus-femoris"]
    assert primary[0]["crosses_knee"] is True
    assert [e["slug"] for e in king["equipment"]] == ["wall-or-couch"]
    assert any("kneecap" in caution for caution in king["cautions"])


def test_half_kneeling_back_knee_cushion_is_optional(seeded, api_client):
    half = _detail(api_client, "half-kneeling-stretch")
    assert half["equipment"] == [
        {"slug": "cushion-or-mat", "name": "Cushion or mat", "optional": True}
    ]
    assert any("cushion" in note for note in half["setup_notes"])


def test_gravity_assisted_stretch_needs_a_bed_box_or_table(seeded, api_client):
    gravity = _detail(api_client, "gravity-assisted-stretch")
    assert [e["name"] for e in gravity["equipment"]] == ["Bed, high box or table"]
    assert gravity["kind"] == "stretch"


def test_every_seed_exercise_is_one_sided_with_steps_and_a_pain_caution(seeded, api_client):
    for slug in ARTICLE_ORDER:
        exercise = _detail(api_client, slug)
        assert exercise["unilateral"] is True
        assert len(exercise["steps"]) >= 3
        assert any("hurts" in caution or "Pain" in caution for caution in exercise["cautions"])


def test_king_runner_pain_caution_names_its_milder_option(seeded, api_client):
    king = _detail(api_client, "king-runner")
    assert "Half-Kneeling Stretch" in king["cautions"][0]


def test_muscle_data_says_which_hip_flexors_reach_the_low_back_and_the_knee(seeded):
    assert set(
        Muscle.objects.filter(attaches_lumbar_spine=True).values_list("slug", flat=True)
    ) == {"psoas-major"}
    assert set(Muscle.objects.filter(crosses_knee=True).values_list("slug", flat=True)) == {
        "rectus-femoris"
    }


def test_seeding_twice_adds_nothing(seeded):
    counts = (Exercise.objects.count(), Muscle.objects.count(), Equipment.objects.count())
    seed_catalog()
    assert (Exercise.objects.count(), Muscle.objects.count(), Equipment.objects.count()) == counts
    assert ExerciseProgression.objects.count() == 1


def _seed_saying(**options):
    """Seed the catalog; the line the command printed."""
    out = StringIO()
    call_command("seed_catalog", stdout=out, **options)
    return out.getvalue().strip()


def test_the_first_seed_says_what_it_added_and_claims_no_earlier_run():
    assert _seed_saying() == (
        "Seed catalog: added 4 muscles, 5 pieces of equipment, 4 exercises, 1 progression "
        "and 1 routine."
    )


def test_seeding_again_says_everything_was_loaded_before_and_nothing_added(seeded):
    assert _seed_saying() == (
        "Seed catalog: nothing new to add; 15 items loaded before are left as they are."
    )


def test_the_seed_says_what_it_left_out_for_a_trainers_own_exercise():
    ExerciseFactory(name="King Runner", slug="my-king-runner")
    assert _seed_saying() == (
        "Seed catalog: added 4 muscles, 5 pieces of equipment, 3 exercises and 1 routine; "
        "left out 1 exercise and 1 progression, as a trainer's own edits are in their place."
    )


def test_an_item_new_in_the_seed_file_is_added_and_counted_alone(seeded, tmp_path):
    seed = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    seed["muscles"].append({**seed["muscles"][0], "slug": "sartorius", "name": "Sartorius"})
    (tmp_path / "catalog.json").write_text(json.dumps(seed), encoding="utf-8")
    assert _seed_saying(file=tmp_path / "catalog.json") == (
        "Seed catalog: added 1 muscle; 15 items loaded before are left as they are."
    )
    assert Muscle.objects.filter(slug="sartorius").exists()


def test_a_seed_at_verbosity_0_prints_nothing():
    assert _seed_saying(verbosity=0) == ""
    assert Exercise.objects.count() == 4


def test_seeding_again_keeps_a_trainers_edits(seeded):
    king = Exercise.objects.get(slug="king-runner")
    king.summary = "Edited by a trainer."
    king.save()
    ExerciseProgression.objects.all().delete()
    seed_catalog()
    assert Exercise.objects.get(slug="king-runner").summary == "Edited by a trainer."
    # Both ends of the link already existed, so removing it was the trainer's call.
    assert not ExerciseProgression.objects.exists()


def test_seeding_again_does_not_bring_back_a_deleted_exercise(seeded):
    RoutineItem.objects.filter(exercise__slug="king-runner").delete()
    Exercise.objects.filter(slug="king-runner").delete()
    seed_catalog()
    assert not Exercise.objects.filter(name="King Runner").exists()
    assert not ExerciseProgression.objects.exists()


def test_seeding_again_after_a_trainer_renames_a_slug_changes_nothing(seeded):
    Exercise.objects.filter(slug="king-runner").update(slug="couch-stretch")
    Muscle.objects.filter(slug="iliacus").update(slug="iliacus-muscle")
    seed_catalog()
    assert Exercise.objects.count() == 4
    assert not Exercise.objects.filter(slug="king-runner").exists()
    assert Muscle.objects.count() == 4


def test_seed_leaves_alone_an_exercise_a_trainer_wrote_first(api_client):
    ExerciseFactory(name="King Runner", slug="my-king-runner", summary="Mine.")
    seed_catalog()
    assert Exercise.objects.get(name="King Runner").summary == "Mine."
    assert Exercise.objects.count() == 4
    # Its link had one end taken by the trainer's own exercise, so it is not made.
    assert not ExerciseProgression.objects.exists()


def test_schema_example_for_the_exercise_detail_is_the_seeded_king_runner(seeded, api_client):
    served = _detail(api_client, "king-runner")
    timestamps = {"created_at", "updated_at"}
    assert {k: v for k, v in served.items() if k not in timestamps} == {
        k: v for k, v in KING_RUNNER_EXAMPLE.items() if k not in timestamps
    }
