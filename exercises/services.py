"""Writes to the catalog that touch an exercise and the rows hanging off it, all or nothing."""

from typing import Any

from django.db import transaction

from .models import (
    Exercise,
    ExerciseAlias,
    ExerciseCaution,
    ExerciseCue,
    ExerciseEquipment,
    ExerciseMedia,
    ExerciseMuscle,
    ExerciseProgression,
    ExerciseSetupNote,
    ExerciseStep,
)

_TEXT_MODELS = {
    "steps": ExerciseStep,
    "cues": ExerciseCue,
    "cautions": ExerciseCaution,
    "setup_notes": ExerciseSetupNote,
}


def _replace_related(exercise: Exercise, data: dict[str, Any]) -> None:
    """Replace each related list the data names; lists it leaves out stay as they are."""
    for key, model in _TEXT_MODELS.items():
        if key in data:
            model.objects.filter(exercise=exercise).delete()
            model.objects.bulk_create(
                model(exercise=exercise, position=i, text=text) for i, text in enumerate(data[key])
            )
    if "aliases" in data:
        exercise.aliases.all().delete()
        ExerciseAlias.objects.bulk_create(
            ExerciseAlias(exercise=exercise, name=name) for name in data["aliases"]
        )
    if "media" in data:
        exercise.media.all().delete()
        ExerciseMedia.objects.bulk_create(
            ExerciseMedia(exercise=exercise, position=i, **item)
            for i, item in enumerate(data["media"])
        )
    if "muscle_links" in data:
        exercise.muscle_links.all().delete()
        ExerciseMuscle.objects.bulk_create(
            ExerciseMuscle(exercise=exercise, **item) for item in data["muscle_links"]
        )
    if "equipment_links" in data:
        exercise.equipment_links.all().delete()
        ExerciseEquipment.objects.bulk_create(
            ExerciseEquipment(exercise=exercise, **item) for item in data["equipment_links"]
        )
    if "harder_options" in data:
        ExerciseProgression.objects.filter(milder=exercise).delete()
        ExerciseProgression.objects.bulk_create(
            ExerciseProgression(milder=exercise, harder=other) for other in data["harder_options"]
        )
    if "milder_options" in data:
        ExerciseProgression.objects.filter(harder=exercise).delete()
        ExerciseProgression.objects.bulk_create(
            ExerciseProgression(milder=other, harder=exercise) for other in data["milder_options"]
        )


_RELATED_KEYS = {
    *_TEXT_MODELS,
    "aliases",
    "media",
    "muscle_links",
    "equipment_links",
    "harder_options",
    "milder_options",
}


@transaction.atomic
def exercise_create(*, data: dict[str, Any]) -> Exercise:
    fields = {key: value for key, value in data.items() if key not in _RELATED_KEYS}
    exercise = Exercise.objects.create(**fields)
    _replace_related(exercise, data)
    return exercise


@transaction.atomic
def exercise_update(*, exercise: Exercise, data: dict[str, Any]) -> Exercise:
    for key, value in data.items():
        if key not in _RELATED_KEYS:
            setattr(exercise, key, value)
    # Saved even when only related rows change, so updated_at tells clients to refetch.
    exercise.save()
    _replace_related(exercise, data)
    return exercise
