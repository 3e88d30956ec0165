"""Writes to the catalog that touch an exercise and the rows hanging off it, all or nothing."""

import errno
import functools
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, QuerySet

from hipflex_api.domain_errors import InvalidInput, OverLimit, StoreFull, StoreUnavailable
from hipflex_api.jobs.outbox import enqueue

from . import history, images, limits
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
    MediaRendition,
    Routine,
    RoutineItem,
)

logger = logging.getLogger(__name__)

# Any: the four models share ExerciseText's fields, which mypy cannot see through a union.
_TEXT_MODELS: dict[str, Any] = {
    "steps": ExerciseStep,
    "cues": ExerciseCue,
    "cautions": ExerciseCaution,
    "setup_notes": ExerciseSetupNote,
}


# Positions are unique within their list, and the database checks that row by row, so rows
# trading places would collide halfway: a reorder first moves them all above any real
# position (a list holds at most limits.TEXT_LINES, ROUTINE_ITEMS or MEDIA_ITEMS rows).
_OUT_OF_THE_WAY = 10_000


def make_room(rows: QuerySet[Any]) -> None:
    """Move one list's rows out of the way, before they are written in their new places."""
    rows.update(position=F("position") + _OUT_OF_THE_WAY)


def close_gaps(rows: QuerySet[Any]) -> None:
    """Number one list's rows 1, 2, 3… in their order: after a deletion, say, or rows left
    out of the way by a writer that did not know of them (they go last)."""
    current = list(rows.order_by("position", "pk").values_list("pk", "position"))
    if all(position == place for place, (_, position) in enumerate(current, start=1)):
        return
    model = rows.model
    # Through numbers no row holds yet, so that no write lands on another row's number.
    for first in (2 * _OUT_OF_THE_WAY, 0):
        model.objects.bulk_update(
            [model(pk=pk, position=first + place) for place, (pk, _) in enumerate(current, 1)],
            ["position"],
        )


def _replace_related(exercise: Exercise, data: dict[str, Any]) -> None:
    """Replace each related list the data names; lists it leaves out stay as they are."""
    for key, model in _TEXT_MODELS.items():
        if key in data:
            model.objects.filter(exercise=exercise).delete()
            model.objects.bulk_create(
                model(exercise=exercise, position=i, text=text)
                for i, text in enumerate(data[key], start=1)
            )
    if "aliases" in data:
        exercise.aliases.all().delete()
        ExerciseAlias.objects.bulk_create(
            ExerciseAlias(exercise=exercise, name=name) for name in data["aliases"]
        )
    if "media" in data:
        _replace_media(exercise, data["media"])
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


def _replace_media(exercise: Exercise, items: list[dict[str, Any]]) -> None:
    """The media list, in its new order: an item with the `id` of one of the exercise's media
    keeps it (its uploaded file too) with the texts given; one without is a new link. Those
    left out are deleted, their files after the commit (exercises.signals)."""
    kept = {item["id"] for item in items if item.get("id") is not None}
    exercise.media.exclude(pk__in=kept).delete()
    make_room(exercise.media.all())
    new = []
    for position, item in enumerate(items, start=1):
        fields = {key: value for key, value in item.items() if key != "id"}
        if item.get("id") is None:
            new.append(ExerciseMedia(exercise=exercise, position=position, **fields))
        else:
            exercise.media.filter(pk=item["id"]).update(position=position, **fields)
    ExerciseMedia.objects.bulk_create(new)


_RELATED_KEYS = {
    *_TEXT_MODELS,
    "aliases",
    "media",
    "muscle_links",
    "equipment_links",
    "harder_options",
    "milder_options",
}


class NotPublishable(InvalidInput):
    """The exercise lacks what every published exercise must have (publish_problems)."""


def publish_problems(exercise: Exercise) -> list[str]:
    """What keeps `exercise` from being published, in a trainer's words; none when nothing
    does. The one rule of the admin, the API's writes and the seed: a step, a primary muscle,
    a dose (numbers, or a note where the source gives none), a safety caution, and its milder
    options published first. (Every image's licence and credit the database holds to.)"""
    problems = []
    if not exercise.steps.exists():
        problems.append("add at least one step")
    if not exercise.muscle_links.filter(role=ExerciseMuscle.Role.PRIMARY).exists():
        problems.append("name a primary muscle")
    numbers = (exercise.sets, exercise.reps_per_side, exercise.hold_seconds)
    if not any(numbers) and not (exercise.prescription_note or "").strip():
        problems.append("give a dose: sets, reps or a hold, or a note on how much to do")
    if not exercise.cautions.exists():
        problems.append("add at least one safety caution")
    for name in exercise.milder_options.filter(published=False).values_list("name", flat=True):
        problems.append(f"publish its milder option “{name}” first")
    return problems


def unpublish_problems(exercise: Exercise) -> list[str]:
    """What keeps `exercise` from being unpublished: harder options still published, which
    would leave the apps no milder option to offer when they hurt."""
    harder = exercise.harder_options.filter(published=True).values_list("name", flat=True)
    return [f"unpublish its harder option “{name}” first" for name in harder]


def check_publishing(exercise: Exercise, *, before: list[str] | None) -> None:
    """Refuse the write that left `exercise` as it is now saved (NotPublishable) if the rule
    refuses it. `before` is what publish_problems said before the write, of an exercise that
    was published then (None if it was not): an edit of one that was published before this
    rule is refused only for what the edit itself takes away."""
    # Its lists as written just now, not as a view prefetched them before the write.
    exercise._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    if exercise.published:
        problems = [p for p in publish_problems(exercise) if p not in (before or [])]
        if problems:
            raise NotPublishable(
                f"It cannot be published yet: {'; '.join(problems)}.", field="published"
            )
    elif before is not None and (problems := unpublish_problems(exercise)):
        raise NotPublishable(
            f"It cannot be unpublished yet: {'; '.join(problems)}.", field="published"
        )


@transaction.atomic
def exercise_create(
    *, data: dict[str, Any], author: Any = None, comment: str = "Added through the API."
) -> Exercise:
    """A new exercise with its lists, kept in its history with `author` and `comment`."""
    fields = {key: value for key, value in data.items() if key not in _RELATED_KEYS}
    exercise = Exercise.objects.create(**fields)
    _replace_related(exercise, data)
    check_publishing(exercise, before=None)
    history.record(exercise, user=author, comment=comment)
    return exercise


@transaction.atomic
def exercise_update(
    *,
    exercise: Exercise,
    data: dict[str, Any],
    author: Any = None,
    comment: str = "Changed through the API.",
) -> Exercise:
    before = publish_problems(exercise) if exercise.published else None
    for key, value in data.items():
        if key not in _RELATED_KEYS:
            setattr(exercise, key, value)
    # Saved even when only related rows change, so updated_at tells clients to refetch.
    exercise.save()
    _replace_related(exercise, data)
    check_publishing(exercise, before=before)
    history.record(exercise, user=author, comment=comment)
    return exercise


def _write_items(routine: Routine, items: list[dict[str, Any]]) -> None:
    RoutineItem.objects.bulk_create(
        RoutineItem(
            routine=routine, position=index, **{k: v for k, v in item.items() if k != "position"}
        )
        for index, item in enumerate(items, start=1)
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
        program_weeks=routine.program_weeks,
        copied_from=routine,
    )
    RoutineItem.objects.bulk_create(
        RoutineItem(
            routine=copy,
            position=index,
            exercise_id=item.exercise_id,
            **{name: getattr(item, name) for name in ITEM_DOSE_FIELDS},
        )
        for index, item in enumerate(
            RoutineItem.objects.filter(routine=routine).visible_to(owner), start=1
        )
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


class StorageUnavailable(StoreUnavailable):
    """The media store did not answer (unreachable, timed out, or refused us)."""


class StorageFull(StoreFull):
    """The media store has no room (a full disk, an S3-compatible store's 507)."""


class TooManyMedia(OverLimit):
    """An exercise holds at most limits.MEDIA_ITEMS media items."""


@contextmanager
def _media_store() -> Iterator[None]:
    """Calls to the media store, their failures as the domain's: full, or unavailable."""
    try:
        yield
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 507:
            raise StorageFull("The media store is full; the image was not kept.") from exc
        logger.warning("The media store refused a call: %s", exc)
        raise StorageUnavailable("The media store refused the image; it was not kept.") from exc
    except (BotoCoreError, OSError) as exc:
        if getattr(exc, "errno", None) in {errno.ENOSPC, errno.EDQUOT}:
            raise StorageFull("The media store is full; the image was not kept.") from exc
        logger.warning("The media store failed: %s", type(exc).__name__)
        raise StorageUnavailable(
            "The media store did not answer; the image was not kept. Try again shortly."
        ) from exc


def forget_file(name: str) -> None:
    """Delete a stored file, once nothing points at it any more; a failure is logged, and
    leaves a file no row names (harmless, and found by listing the store)."""
    try:
        with _media_store():
            default_storage.delete(name)
    except (StorageUnavailable, StorageFull):
        logger.warning("A media file no row names is left in the store: %s", name)


def _check_room(exercise: Exercise) -> None:
    """Room for one more media item."""
    if exercise.media.count() >= limits.MEDIA_ITEMS:
        raise TooManyMedia(
            f"An exercise holds at most {limits.MEDIA_ITEMS} media items; remove one first.",
            field="file",
        )


def _stored(picture: images.Picture, name: str) -> str:
    with _media_store():
        return default_storage.save(name, ContentFile(picture.content))


def media_upload(
    *, exercise: Exercise, upload: IO[bytes], size: int, fields: dict[str, Any]
) -> ExerciseMedia:
    """Keep an uploaded image of `exercise`, cleaned (exercises.images), after its other
    media; `fields` are its caption, licence and attribution. Its renditions are made in the
    background once this commits. The file is stored first, so no row ever names a file that
    is not there; if the row is not written, the file is deleted again."""
    _check_room(exercise)  # Before storing anything: the common refusal costs nothing.
    picture = images.cleaned(upload, size)
    name = _stored(picture, f"exercises/{uuid.uuid4().hex}.{picture.extension}")
    try:
        with transaction.atomic():
            # Locked, so that two uploads at once cannot both take the last place.
            locked = Exercise.objects.select_for_update().get(pk=exercise.pk)
            _check_room(locked)
            last = locked.media.order_by("-position").values_list("position", flat=True).first()
            media = ExerciseMedia.objects.create(
                exercise=locked,
                position=(last or 0) + 1,
                kind=ExerciseMedia.Kind.IMAGE,
                file=name,
                width=picture.width,
                height=picture.height,
                **fields,
            )
            locked.save(update_fields=["updated_at"])  # A new version of the catalog.
            renditions_after_commit(media)
    except BaseException:
        forget_file(name)
        raise
    return media


def renditions_after_commit(media: ExerciseMedia) -> None:
    """Have the renditions of `media`'s file made once the current transaction commits."""
    enqueue("exercises.make_renditions", [media.pk, media.file.name], argsrepr=repr((media.pk,)))


def media_make_renditions(*, media_id: int, file_name: str) -> int:
    """Make (or make again) the renditions of one uploaded file; how many. Nothing when the
    media is gone or holds another file by now. Run twice, it leaves each rendition once."""
    if not ExerciseMedia.objects.filter(pk=media_id, file=file_name).exists():
        return 0
    with _media_store(), default_storage.open(file_name, "rb") as original:
        content = original.read()
    stem = PurePosixPath(file_name).stem
    made = {}
    for name, longest in limits.RENDITIONS.items():
        picture = images.rendition(content, longest)
        target = f"exercises/renditions/{stem}-{name}.webp"
        with _media_store():
            # One name per image and rendition: a run that died after storing it is redone.
            default_storage.delete(target)
        made[name] = (_stored(picture, target), picture)
    with transaction.atomic():
        media = ExerciseMedia.objects.select_for_update().filter(pk=media_id, file=file_name)
        if (current := media.first()) is None:  # Replaced or deleted meanwhile.
            for stored, _ in made.values():
                transaction.on_commit(functools.partial(forget_file, stored))
            return 0
        for name, (stored, picture) in made.items():
            MediaRendition.objects.update_or_create(
                media=current,
                name=name,
                defaults={"file": stored, "width": picture.width, "height": picture.height},
            )
        # A new version of the catalog, so that cached answers show the renditions.
        Exercise.objects.get(pk=current.exercise_id).save(update_fields=["updated_at"])
    return len(made)


@transaction.atomic
def media_delete(*, media: ExerciseMedia) -> None:
    """Delete one media item; its files go after the commit (exercises.signals)."""
    exercise = media.exercise
    media.delete()
    close_gaps(exercise.media.all())
    exercise.save(update_fields=["updated_at"])  # A new version of the catalog.
