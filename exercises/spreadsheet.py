"""The catalog as a spreadsheet (django-import-export): one row per exercise, its lists one item
per line of a cell, exported to CSV or XLSX and imported back. An imported row is written as the
API's trainer writes are: checked by ExerciseSerializer, saved by exercises.services, so the
publish rule refuses what it refuses there and the history keeps a version naming who imported
it. A row that fails is reported with its column and nothing of it is saved.

Images stay out of the sheet (a cell cannot hold a file): an import keeps an exercise's media.
"""

import re
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from import_export import fields, resources, widgets

from . import services
from .models import Exercise
from .serializers import ExerciseSerializer

# The sheet's columns, in order: the exercise's own fields, then its lists.
OWN_COLUMNS = (
    "slug",
    "name",
    "kind",
    "summary",
    "difficulty",
    "unilateral",
    "sets",
    "reps_per_side",
    "hold_seconds",
    "prescription_note",
    "published",
)
LIST_COLUMNS = (
    "steps",
    "cues",
    "cautions",
    "setup_notes",
    "aliases",
    "muscles",
    "equipment",
    "milder_options",
)
COLUMNS = (*OWN_COLUMNS, *LIST_COLUMNS)
_TEXTS = {"steps", "cues", "cautions", "setup_notes"}
_DOSE = ("sets", "reps_per_side", "hold_seconds")  # Under `prescription` in the API's body.
# "iliopsoas (primary)", "resistance-band (optional)": a slug, then what it is to the exercise.
_ITEM = re.compile(r"^(?P<slug>[^\s()]+)\s*(?:\((?P<note>[^)]*)\))?$")


class _YesNo(widgets.BooleanWidget):
    """Yes or no, as a sheet says it; anything else is an error, never quietly a no."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool:
        if isinstance(value, bool | int) and value in (0, 1):
            return bool(value)
        text = str(value if value is not None else "").strip().casefold()
        if text in {"1", "yes", "y", "true"}:
            return True
        if text in {"0", "no", "n", "false", ""}:
            return False
        raise ValueError(f"“{value}” is neither yes nor no (1 or 0).")


class _Whole(widgets.IntegerWidget):
    """A whole number or an empty cell; 2.5 is refused, not cut to 2."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        if self.is_empty(value):
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if not text.isdecimal():
            raise ValueError(f"“{value}” is not a whole number.")
        return int(text)


def _lines(cell: Any) -> list[str]:
    return [line.strip() for line in str(cell or "").splitlines() if line.strip()]


class _List(fields.Field):
    """One of an exercise's lists as lines of one cell. Read from the database as the row is
    exported or previewed; written by save_instance, never set on the instance."""

    def __init__(self, column: str, lines: Any) -> None:
        super().__init__(column_name=column)
        self.lines = lines

    def export(self, instance: Any, **kwargs: Any) -> str:
        return "" if instance.pk is None else "\n".join(self.lines(instance))


def _texts(name: str) -> _List:
    return _List(name, lambda e: (item.text for item in getattr(e, name).all()))


class ExerciseResource(resources.ModelResource):
    steps = _texts("steps")
    cues = _texts("cues")
    cautions = _texts("cautions")
    setup_notes = _texts("setup_notes")
    aliases = _List("aliases", lambda e: (alias.name for alias in e.aliases.all()))
    muscles = _List(
        "muscles", lambda e: (f"{m.muscle.slug} ({m.role})" for m in e.muscle_links.all())
    )
    equipment = _List(
        "equipment",
        lambda e: (
            link.equipment.slug + (" (optional)" if link.optional else "")
            for link in e.equipment_links.all()
        ),
    )
    milder_options = _List("milder_options", lambda e: (o.slug for o in e.milder_options.all()))

    class Meta:
        model = Exercise
        fields = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("slug",)
        skip_unchanged = True  # A sheet exported and imported untouched changes nothing.
        report_skipped = True
        use_transactions = True  # The preview is a real import, rolled back.
        clean_model_instances = False  # ExerciseSerializer checks each row instead.

    @classmethod
    def widget_from_django_field(cls, f: Any, default: Any = widgets.Widget) -> Any:
        if isinstance(f, models.BooleanField):
            return _YesNo
        if isinstance(f, models.IntegerField):
            return _Whole
        return super().widget_from_django_field(f, default)

    def __init__(self, user: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user

    def get_queryset(self) -> QuerySet[Exercise]:
        # Every option the importer sees, drafts too, so that the sheet imported back keeps
        # them all.
        return Exercise.objects.with_details(self.user or AnonymousUser()).order_by("name")

    # Import: each row through the API's checks and services.

    def skip_row(
        self, instance: Any, original: Any, row: Any, import_validation_errors: Any = None
    ) -> bool:
        if import_validation_errors or original is None or original.pk is None:
            return False
        for column in COLUMNS:
            if column not in row:
                continue
            if column in LIST_COLUMNS:
                if _lines(row[column]) != _lines(self.fields[column].export(original)):
                    return False
            elif getattr(instance, column) != getattr(original, column):
                return False
        return True

    def save_instance(self, instance: Exercise, is_create: bool, row: Any, **kwargs: Any) -> None:
        existing = None if is_create else Exercise.objects.get(pk=instance.pk)
        serializer = ExerciseSerializer(
            existing, data=_body(instance, row), partial=not is_create, context={"request": None}
        )
        if not serializer.is_valid():
            raise ValidationError(_by_column(serializer.errors))
        try:
            if existing is None:
                saved = services.exercise_create(
                    data=serializer.validated_data,
                    author=self.user,
                    comment="Imported from a spreadsheet.",
                )
            else:
                saved = services.exercise_update(
                    exercise=existing,
                    data=serializer.validated_data,
                    author=self.user,
                    comment="Changed by a spreadsheet import.",
                )
        except services.NotPublishable as refusal:
            raise ValidationError({"published": refusal.message}) from None
        instance.pk = saved.pk
        # Its lists as saved now, for the preview, not as the instance loader prefetched them.
        instance._prefetched_objects_cache = {}  # type: ignore[attr-defined]


def _body(exercise: Exercise, row: Any) -> dict[str, Any]:
    """What the row asks for, as the API's body says it (the row's own fields already read
    onto `exercise` by their widgets); a column the sheet leaves out is left as it is."""
    body: dict[str, Any] = {}
    for column in OWN_COLUMNS:
        if column in row and column not in _DOSE and column != "prescription_note":
            body[column] = getattr(exercise, column)
    prescription = {column: getattr(exercise, column) for column in _DOSE if column in row}
    if "prescription_note" in row:
        prescription["note"] = exercise.prescription_note or ""
    if prescription:
        body["prescription"] = prescription
    for column in LIST_COLUMNS:
        if column not in row:
            continue
        lines = _lines(row[column])
        if column in _TEXTS or column == "aliases":
            body[column] = lines
        elif column == "milder_options":
            body[column] = [{"slug": slug} for slug in lines]
        else:
            body[column] = [_item(column, line) for line in lines]
    return body


def _item(column: str, line: str) -> dict[str, Any]:
    match = _ITEM.match(line)
    if match is None:
        raise ValidationError({column: f"“{line}” is not a slug with an optional (note)."})
    slug, note = match["slug"], (match["note"] or "").strip()
    if column == "muscles":
        return {"slug": slug, "role": note or "primary"}
    if note not in {"", "optional"}:
        raise ValidationError({column: f"“{line}”: the only note equipment takes is (optional)."})
    return {"slug": slug, "optional": note == "optional"}


def _by_column(errors: dict[str, Any]) -> dict[str, list[str]]:
    """ExerciseSerializer's errors under the sheet's columns (a dose's under its own)."""
    found: dict[str, list[str]] = {}
    for key, value in errors.items():
        if key == "prescription" and isinstance(value, dict):
            for inner, messages in value.items():
                found["prescription_note" if inner == "note" else inner] = _messages(messages)
        else:
            found[{"non_field_errors": "__all__"}.get(key, key)] = _messages(value)
    return found


def _messages(value: Any) -> list[str]:
    """The messages of one field's errors, however the serializer nested them (by item)."""
    if isinstance(value, dict):  # By item: which line of the cell it is.
        return [
            f"line {key + 1}: {m}" if isinstance(key, int) else m
            for key, inner in value.items()
            for m in _messages(inner)
        ]
    if isinstance(value, list):
        return [m for inner in value for m in _messages(inner)]
    return [str(value)]
