"""Writes to the catalog that touch an exercise and the rows hanging off it, all or nothing."""

from typing import Any

from django.conf import settings
from django.db import transaction

from hipflex_api.domain_errors import InvalidInput

from .models import (
    ITEM_DOSE_FIELDS,
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
    Routine,
    RoutineItem,
)

# Any: the four models share ExerciseText's fields, which mypy cannot see through a union.
_TEXT_MODELS: dict[str, Any] = {
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


def _write_items(routine: Routine, items: list[dict[str, Any]]) -> None:
    RoutineItem.objects.bulk_create(
        RoutineItem(
            routine=routine, position=index, **{k: v for k, v in item.items() if k != "position"}
        )
        for index, item in enumerate(items)
    )


@transaction.atomic
def routine_create(*, owner: Any, data: dict[str, Any]) -> Routine:
    fields = {key: value for key, value in data.items() if key != "items"}
    routine = Routine.objects.create(owner=owner, **fields)
    _write_items(routine, data.get("items", []))
    return routine


@transaction.atomic
def routine_update(*, routine: Routine, data: dict[str, Any]) -> Routine:
    """Apply the fields given; `items`, when given, replaces every item in its new order."""
    for key, value in data.items():
        if key != "items":
            setattr(routine, key, value)
    routine.save()
    if "items" in data:
        routine.items.all().delete()
        _write_items(routine, data["items"])
    return routine


class RoutineNotPublished(InvalidInput):
    """A curated routine is copied or started only once trainers have published it."""


def routine_check_usable(*, routine: Routine) -> Routine:
    """The routine, if a user may copy it or start a session from it."""
    if routine.is_curated and not routine.published:
        raise RoutineNotPublished(
            "This routine is not published yet; publish it first.", field="routine"
        )
    return routine


@transaction.atomic
def routine_copy(*, routine: Routine, owner: Any) -> Routine:
    """A private, editable copy for `owner`, without the items it cannot see; the original
    stays as it is."""
    copy = Routine.objects.create(
        owner=owner,
        name=routine.name,
        description=routine.description,
        goal=routine.goal,
        copied_from=routine,
    )
    RoutineItem.objects.bulk_create(
        RoutineItem(
            routine=copy,
            position=index,
            exercise_id=item.exercise_id,
            **{name: getattr(item, name) for name in ITEM_DOSE_FIELDS},
        )
        for index, item in enumerate(RoutineItem.objects.filter(routine=routine).visible_to(owner))
    )
    return copy


def routine_estimated_minutes(items: list[RoutineItem]) -> int:
    """Work and rest for every set, both sides of a one-sided exercise counted, rounded up to
    a whole minute."""
    per_rep = settings.ROUTINE_SECONDS_PER_REP
    total = 0
    for item in items:
        sides = 2 if item.exercise.unilateral else 1
        if item.reps_per_side:
            work = item.reps_per_side * (item.hold_seconds or per_rep)
        else:
            work = item.hold_seconds or 0
        total += item.sets * sides * (work + item.rest_seconds)
    return -(-total // 60)
