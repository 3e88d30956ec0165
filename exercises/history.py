"""The catalog's history (django-reversion): every write of an exercise or a curated routine
keeps a version of it with its lists, so that trainers can see who changed what, compare two
versions, revert to one and recover a deleted exercise in the admin.

A version is taken once a write is finished (record), not as each row is saved: the API's
writes replace whole lists in bulk and the admin renumbers rows after saving them, so rows
saved one by one would leave versions with lists as they were halfway.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import reversion
from django.db.models import Model

from .models import (
    Exercise,
    ExerciseAlias,
    ExerciseCaution,
    ExerciseCue,
    ExerciseEquipment,
    ExerciseMuscle,
    ExerciseProgression,
    ExerciseSetupNote,
    ExerciseStep,
    Routine,
    RoutineItem,
)

# What a version of an exercise holds besides its own fields. Not its media: a replaced or
# deleted image's file is deleted from the store, so an old version could only point at a
# file that is gone; images keep the state they have when an exercise is reverted.
EXERCISE_LISTS = (
    "steps",
    "cues",
    "cautions",
    "setup_notes",
    "muscle_links",
    "equipment_links",
    "harder_links",
    "milder_links",
    "aliases",
)

for _model in (
    ExerciseStep,
    ExerciseCue,
    ExerciseCaution,
    ExerciseSetupNote,
    ExerciseMuscle,
    ExerciseEquipment,
    ExerciseProgression,
    ExerciseAlias,
    RoutineItem,
):
    reversion.register(_model)
reversion.register(Exercise, follow=EXERCISE_LISTS)
reversion.register(Routine, follow=("items",))


def record(instance: Model, *, user: Any, comment: str) -> None:
    """Keep a version of `instance` with its lists as the database now holds them: in the
    revision under way (the admin's), or in one of its own."""
    fresh = type(instance)._default_manager.get(pk=instance.pk)  # Not a view's prefetched lists.
    if reversion.is_active():
        # The admin's own account of the change, where it gives one, replaces this later.
        if not reversion.get_comment():
            reversion.set_comment(comment)
        reversion.add_to_revision(fresh)
        return
    with revision(user, comment):
        reversion.add_to_revision(fresh)


@contextmanager
def revision(user: Any, comment: str = "") -> Iterator[None]:
    """One revision for several writes, holding only what record() adds to it."""
    with reversion.create_revision(manage_manually=True):
        if user is not None and user.is_authenticated:
            reversion.set_user(user)
        reversion.set_comment(comment)
        yield
