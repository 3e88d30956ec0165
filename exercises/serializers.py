from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.validators import UniqueValidator

from hipflex_api.fields import (
    OneOfRequiredMixin,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictModelSerializer,
    StrictSlugField,
    WholeItemMixin,
    max_length_of,
)

from . import limits, services
from .models import (
    ITEM_DOSE_FIELDS,
    Equipment,
    Exercise,
    ExerciseAlias,
    ExerciseMedia,
    ExerciseMuscle,
    ExerciseProgression,
    ExerciseText,
    MediaRendition,
    Muscle,
    Routine,
    RoutineItem,
)


class MuscleSerializer(StrictModelSerializer):
    class Meta:
        model = Muscle
        fields = ["slug", "name", "group", "description", "attaches_lumbar_spine", "crosses_knee"]


class EquipmentSerializer(StrictModelSerializer):
    class Meta:
        model = Equipment
        fields = ["slug", "name", "description"]


class TextListField(serializers.ListField):
    """Ordered lines of text, stored one row each (steps, cues, cautions, notes, aliases)."""

    def __init__(
        self,
        *,
        attribute: str = "text",
        max_length: int = max_length_of(ExerciseText, "text"),
        **kwargs: Any,
    ) -> None:
        self.attribute = attribute
        kwargs.setdefault("child", StrictCharField(max_length=max_length))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", limits.TEXT_LINES)
        super().__init__(**kwargs)

    def to_representation(self, data: Any) -> list[str]:
        return [getattr(row, self.attribute) for row in data.all()]


class ExerciseMuscleSerializer(WholeItemMixin, serializers.Serializer):
    slug = StrictSlugField(help_text="The muscle's slug.")
    name = StrictCharField(read_only=True)
    role = serializers.ChoiceField(
        choices=ExerciseMuscle.Role.choices, default=ExerciseMuscle.Role.PRIMARY
    )
    attaches_lumbar_spine = StrictBooleanField(read_only=True)
    crosses_knee = StrictBooleanField(read_only=True)

    def to_representation(self, instance: ExerciseMuscle) -> dict[str, Any]:
        muscle = instance.muscle
        return {
            "slug": muscle.slug,
            "name": muscle.name,
            "role": instance.role,
            "attaches_lumbar_spine": muscle.attaches_lumbar_spine,
            "crosses_knee": muscle.crosses_knee,
        }


class ExerciseEquipmentSerializer(WholeItemMixin, serializers.Serializer):
    slug = StrictSlugField(help_text="The equipment's slug.")
    name = StrictCharField(read_only=True)
    optional = StrictBooleanField(default=False, help_text="Helps, but is not needed.")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {
            "slug": instance.equipment.slug,
            "name": instance.equipment.name,
            "optional": instance.optional,
        }


class ExerciseSlugField(StrictSlugField):
    """An exercise by its slug: a slug string in (the serializer resolves a list of them in one
    query, see resolve_slugs), the exercise's slug out."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", max_length_of(Exercise, "slug"))
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return str(value.slug if isinstance(value, Exercise) else value)


class ExerciseRefSerializer(WholeItemMixin, serializers.Serializer):
    """Another exercise, named by its slug."""

    slug = StrictSlugField()
    name = StrictCharField(read_only=True)


def _absolute(request: Any, url: str) -> str:
    """A stored file's URL as a phone can open it: MEDIA_URL may be a path on this server."""
    return request.build_absolute_uri(url) if request is not None else url


class MediaRenditionSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The WebP file.")

    class Meta:
        model = MediaRendition
        fields = ["name", "url", "width", "height"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, rendition: MediaRendition) -> str:
        return _absolute(self.context.get("request"), rendition.file.url)


class ExerciseMediaSerializer(WholeItemMixin, StrictModelSerializer):
    id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="In a write, the id of one of the exercise's media keeps it (an uploaded "
        "image with its file) with the texts sent; leave it out for a new link.",
    )
    url = serializers.URLField(
        max_length=max_length_of(ExerciseMedia, "url"),
        required=False,
        help_text="The file: an uploaded image's, on this server or its media store, or the "
        "link given. Required for a new link; ignored for an uploaded image.",
    )
    renditions = MediaRenditionSerializer(
        many=True,
        read_only=True,
        help_text="Smaller WebP copies of an uploaded image (`thumbnail` and `phone`), made in "
        "the background after the upload: empty until then, and for a link.",
    )

    class Meta:
        model = ExerciseMedia
        fields = [
            "id",
            "kind",
            "url",
            "caption",
            "licence",
            "attribution",
            "width",
            "height",
            "renditions",
        ]
        read_only_fields = ["width", "height"]
        extra_kwargs = {
            "width": {"help_text": "An uploaded image's width in pixels; null for a link."},
            "height": {"help_text": "An uploaded image's height in pixels; null for a link."},
        }

    def to_representation(self, instance: ExerciseMedia) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.file:
            data["url"] = _absolute(self.context.get("request"), instance.file.url)
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("id") is None and not attrs.get("url"):
            raise serializers.ValidationError(
                {"url": "A new item needs the link to its file; upload an image instead."}
            )
        if attrs.get("kind") == ExerciseMedia.Kind.IMAGE and not attrs.get("attribution"):
            raise serializers.ValidationError(
                {"attribution": "An image needs whom to credit for it."}
            )
        return attrs


class MediaUploadSerializer(serializers.Serializer):
    """An image to upload, with what it is shown with (multipart/form-data)."""

    file = serializers.FileField(
        help_text=f"A JPEG, PNG or WebP image, at most {limits.IMAGE_MAX_BYTES // 2**20} MB and "
        f"{limits.IMAGE_MAX_SIDE} pixels a side. Its EXIF (location included) is removed."
    )
    caption = StrictCharField(
        max_length=max_length_of(ExerciseMedia, "caption"), allow_blank=True, required=False
    )
    licence = StrictCharField(
        max_length=max_length_of(ExerciseMedia, "licence"),
        help_text="The licence the image is used under, such as `CC BY 4.0`.",
    )
    attribution = StrictCharField(
        max_length=max_length_of(ExerciseMedia, "attribution"),
        help_text="Who to credit, as the licence asks.",
    )


class PrescriptionSerializer(serializers.Serializer):
    """The default dose; null where the exercise does not prescribe that measure."""

    sets = limits.SETS.field(allow_null=True, required=False)
    reps_per_side = limits.REPS_PER_SIDE.field(
        allow_null=True,
        required=False,
        help_text="Repetitions, per side when the exercise is done one side at a time.",
    )
    hold_seconds = limits.HOLD_SECONDS.field(allow_null=True, required=False)
    note = StrictCharField(
        source="prescription_note",
        max_length=max_length_of(Exercise, "prescription_note"),
        allow_blank=True,
        required=False,
    )


def _difficulty_field(**kwargs: Any) -> serializers.ChoiceField:
    # Declared rather than derived: the derived field's range differs between SQLite and
    # PostgreSQL, which would make the committed schema depend on the database.
    return StrictChoiceField(choices=Exercise.Difficulty.choices, **kwargs)


class ExerciseSummarySerializer(StrictModelSerializer):
    difficulty = _difficulty_field(read_only=True)

    class Meta:
        model = Exercise
        fields = [
            "slug",
            "name",
            "kind",
            "summary",
            "difficulty",
            "unilateral",
            "published",
            "updated_at",
        ]


# The code of a slug that names nothing: an error that depends on what the catalog holds now,
# unlike every other of a body's errors (a retried upload may meet it; see sessions/views.py).
MISSING_SLUG = "does_not_exist"


def resolve_slugs(
    items: list[dict[str, Any]],
    queryset: QuerySet[Any],
    *,
    noun: str,
    key: str = "slug",
    field: str,
    unique: bool = True,
) -> list[dict[str, Any]]:
    """Swap each item's slug for the object it names in one query, or name every bad slug at
    its index so that the client sees `muscles.2.slug`, not a generic error."""
    slugs = [item[key] for item in items]
    found = {obj.slug: obj for obj in queryset.filter(slug__in=set(slugs))}
    errors: dict[str, dict[str, list[str]]] = {}
    seen: set[str] = set()
    for index, slug in enumerate(slugs):
        if slug not in found:
            message = f"No {noun} has the slug '{slug}'."
            errors[str(index)] = {key: [ErrorDetail(message, code=MISSING_SLUG)]}
        elif unique and slug in seen:
            errors[str(index)] = {key: [f"'{slug}' is listed twice."]}
        seen.add(slug)
    if errors:
        raise serializers.ValidationError(errors)
    return [
        {**{k: v for k, v in item.items() if k != key}, field: found[item[key]]} for item in items
    ]


def _slug_from_name(name: str) -> str:
    slug = slugify(name)[: max_length_of(Exercise, "slug")]
    if not slug:
        raise serializers.ValidationError({"slug": ["Could not make a slug from the name."]})
    if Exercise.objects.filter(slug=slug).exists():
        raise serializers.ValidationError({"slug": [f"An exercise already has the slug '{slug}'."]})
    return slug


def _resolve_options(value: list[dict[str, Any]]) -> list[Exercise]:
    resolved = resolve_slugs(value, Exercise.objects.all(), noun="exercise", field="exercise")
    return [item["exercise"] for item in resolved]


class ExerciseSerializer(StrictModelSerializer):
    """Everything an app needs to show and coach an exercise, in one response."""

    difficulty = _difficulty_field(required=False)
    slug = StrictSlugField(
        max_length=max_length_of(Exercise, "slug"),
        required=False,
        validators=[UniqueValidator(queryset=Exercise.objects.all())],
        help_text="Made from the name when left out. Fixed once the exercise exists.",
    )
    prescription = PrescriptionSerializer(source="*", required=False)
    steps = TextListField(help_text="What to do, in order.")
    cues = TextListField(help_text="Coaching cues to keep in mind while doing it.")
    cautions = TextListField(help_text="Safety cautions.")
    setup_notes = TextListField(help_text="How to set up before starting.")
    aliases = TextListField(
        attribute="name",
        max_length=max_length_of(ExerciseAlias, "name"),
        help_text="Other names for it.",
    )
    muscles = ExerciseMuscleSerializer(source="muscle_links", many=True, required=False)
    equipment = ExerciseEquipmentSerializer(source="equipment_links", many=True, required=False)
    milder_options = ExerciseRefSerializer(
        many=True, required=False, help_text="Gentler alternatives, for when this one hurts."
    )
    harder_options = ExerciseRefSerializer(
        many=True, required=False, help_text="Harder versions, for when this one gets easy."
    )
    media = ExerciseMediaSerializer(  # type: ignore[call-arg]  # the stubs lack max_length
        many=True, required=False, max_length=limits.MEDIA_ITEMS
    )

    class Meta:
        model = Exercise
        fields = [
            "slug",
            "name",
            "kind",
            "summary",
            "difficulty",
            "unilateral",
            "prescription",
            "steps",
            "cues",
            "cautions",
            "setup_notes",
            "muscles",
            "equipment",
            "milder_options",
            "harder_options",
            "aliases",
            "media",
            "published",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_muscles(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return resolve_slugs(value, Muscle.objects.all(), noun="muscle", field="muscle")

    def validate_equipment(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return resolve_slugs(value, Equipment.objects.all(), noun="equipment", field="equipment")

    def validate_milder_options(self, value: list[dict[str, Any]]) -> list[Exercise]:
        return _resolve_options(value)

    def validate_harder_options(self, value: list[dict[str, Any]]) -> list[Exercise]:
        return _resolve_options(value)

    def validate_media(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Kept items must be this exercise's, each once; an uploaded one keeps its file."""
        ids = [item["id"] for item in value if item.get("id") is not None]
        own = {} if self.instance is None else {m.pk: m for m in self.instance.media.all()}
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("A media item is listed twice.")
        if unknown := sorted(set(ids) - set(own)):
            raise serializers.ValidationError(
                f"No media item of this exercise has id {unknown[0]}."
            )
        for item in value:
            if (kept := own.get(item.get("id"))) is not None and kept.file:
                if item.get("kind", kept.kind) != kept.kind:
                    raise serializers.ValidationError("An uploaded image stays an image.")
                item.pop("url", None)  # Its file's, as read: it cannot point elsewhere.
        return value

    def validate_aliases(self, value: list[str]) -> list[str]:
        if len({alias.casefold() for alias in value}) != len(value):
            raise serializers.ValidationError("An alias is listed twice.")
        return value

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError(
                "The slug cannot change once the exercise exists: apps and logs refer to it."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "slug" not in attrs and self.instance is None and "name" in attrs:
            attrs["slug"] = _slug_from_name(attrs["name"])
        if self.instance is not None and not self.partial:
            # PUT replaces the whole exercise, so a list left out of the body is emptied.
            lists = (serializers.ListField, serializers.ListSerializer)
            for list_field in self.fields.values():
                if isinstance(list_field, lists) and not list_field.read_only:
                    attrs.setdefault(str(list_field.source), [])
        self._check_options(attrs)
        return attrs

    def _check_options(self, attrs: dict[str, Any]) -> None:
        """An exercise is no option of itself, nor both a milder and a harder option."""
        errors: dict[str, list[str]] = {}
        milder = {option.pk for option in attrs.get("milder_options", [])}
        harder = {option.pk for option in attrs.get("harder_options", [])}
        own_pk = self.instance.pk if self.instance else None
        for field, pks in (("milder_options", milder), ("harder_options", harder)):
            if own_pk is not None and own_pk in pks:
                errors[field] = ["An exercise cannot be an option of itself."]
        # A PATCH of one side is checked against the other side as it is saved now.
        if own_pk is not None and "milder_options" not in attrs:
            milder = set(
                ExerciseProgression.objects.filter(harder=own_pk).values_list("milder", flat=True)
            )
        if own_pk is not None and "harder_options" not in attrs:
            harder = set(
                ExerciseProgression.objects.filter(milder=own_pk).values_list("harder", flat=True)
            )
        if milder & harder:
            errors["harder_options"] = ["An exercise cannot be both a milder and a harder option."]
        if errors:
            raise serializers.ValidationError(errors)

    def create(self, validated_data: dict[str, Any]) -> Exercise:
        return services.exercise_create(data=validated_data, author=self.context["request"].user)

    def update(self, instance: Exercise, validated_data: dict[str, Any]) -> Exercise:
        return services.exercise_update(
            exercise=instance, data=validated_data, author=self.context["request"].user
        )


class RoutineItemSerializer(OneOfRequiredMixin, WholeItemMixin, StrictModelSerializer):
    position = limits.ROUTINE_POSITION.field(
        required=False,
        help_text="Order in the routine: items are sorted by it, then numbered 1, 2, 3… as "
        "stored. Left out: the order sent.",
    )
    exercise = ExerciseSlugField(help_text="The exercise's slug.")
    exercise_name = StrictCharField(source="exercise.name", read_only=True)
    unilateral = StrictBooleanField(
        source="exercise.unilateral",
        read_only=True,
        help_text="Done one side at a time: each set is done per side.",
    )
    sets = limits.SETS.field(default=1)
    reps_per_side = limits.REPS_PER_SIDE.field(allow_null=True, required=False)
    hold_seconds = limits.HOLD_SECONDS.field(allow_null=True, required=False)
    rest_seconds = limits.REST_SECONDS.field(default=0)

    class Meta:
        model = RoutineItem
        fields = ["position", "exercise", "exercise_name", "unilateral", *ITEM_DOSE_FIELDS]

    one_of_required = ("reps_per_side", "hold_seconds")
    one_of_message = "Give reps_per_side, hold_seconds, or both."


def _startable(items: list[dict[str, Any]]) -> None:
    """A routine whose start would plan more sets than a session may hold could never be
    uploaded back: refused here, the limit named (the start checks it again)."""
    planned = sum(item.get("sets", 1) * (2 if item["exercise"].unilateral else 1) for item in items)
    if planned > settings.MAX_SETS_PER_SESSION:
        raise serializers.ValidationError(
            f"A start would plan {planned} sets (each set once per side of a one-sided "
            f"exercise); a session holds at most {settings.MAX_SETS_PER_SESSION}.",
            code="max_sets",
        )


class RoutineSerializer(StrictModelSerializer):
    """A routine as the app shows it: its items in order and how long it takes."""

    curated = StrictBooleanField(
        source="is_curated", read_only=True, help_text="Written by trainers, not by the caller."
    )
    estimated_minutes = serializers.SerializerMethodField(
        help_text="Every set's work and rest, both sides of one-sided exercises, rounded up to "
        f"a minute. Work is the hold, or {settings.ROUTINE_SECONDS_PER_REP} seconds a rep, or "
        "reps times the hold when an item has both."
    )
    items = RoutineItemSerializer(  # type: ignore[call-arg]  # the stubs lack max_length
        many=True,
        min_length=1,
        max_length=limits.ROUTINE_ITEMS,
        help_text="In order; at least one.",
    )
    program_weeks = limits.PROGRAM_WEEKS.field(
        allow_null=True,
        default=None,
        help_text="As a program a trainer prescribes: the weeks it runs unless the trainer "
        "gives an `end_date`; null for no end.",
    )

    class Meta:
        model = Routine
        fields = [
            "id",
            "name",
            "description",
            "goal",
            "curated",
            "published",
            "copied_from",
            "estimated_minutes",
            "program_weeks",
            "items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["published", "copied_from", "created_at", "updated_at"]

    def get_estimated_minutes(self, routine: Routine) -> int:
        return services.routine_estimated_minutes(list(routine.items.all()))

    def validate_items(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        positions = [item["position"] for item in value if "position" in item]
        if positions and len(positions) != len(value):
            raise serializers.ValidationError("Give every item a position, or none.")
        errors: dict[str, dict[str, list[str]]] = {}
        seen: set[int] = set()
        for index, item in enumerate(value):
            if "position" in item and item["position"] in seen:
                errors[str(index)] = {"position": [f"Position {item['position']} is used twice."]}
            seen.add(item.get("position", index))
        if errors:
            raise serializers.ValidationError(errors)
        request = self.context.get("request")
        exercises = Exercise.objects.visible_to(request.user) if request else Exercise.objects
        resolved = resolve_slugs(
            value,
            exercises.all(),
            noun="visible exercise",
            key="exercise",
            field="exercise",
            unique=False,
        )
        _startable(resolved)
        # Sorted by position, then kept in that order; stored and served as 1, 2, 3…
        return sorted(resolved, key=lambda item: item.get("position", 0)) if positions else resolved

    def create(self, validated_data: dict[str, Any]) -> Routine:
        return services.routine_create(owner=self.context["request"].user, data=validated_data)

    def update(self, instance: Routine, validated_data: dict[str, Any]) -> Routine:
        return services.routine_update(routine=instance, data=validated_data)
