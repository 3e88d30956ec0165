from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from rest_framework import serializers

from exercises.models import Exercise
from exercises.serializers import ExerciseSummarySerializer, resolve_slugs
from hipflex_api.accounts.serializers import ProfileSerializer

from .models import SetLog, WorkoutSession


def _version_field() -> serializers.IntegerField:
    # Declared rather than derived: a derived field's range differs between SQLite and
    # PostgreSQL, which would make the committed schema depend on the database.
    return serializers.IntegerField(read_only=True, help_text="Raised by every change.")


class AwareDateTimeField(serializers.DateTimeField):
    """Refuses a time without an offset: read as UTC, a phone's local time would shift by hours."""

    default_error_messages = {
        "naive": "Give the UTC offset too, such as 2025-03-01T07:30:00+01:00 or ...T06:30:00Z."
    }

    def enforce_timezone(self, value: Any) -> Any:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class UUIDStringField(serializers.UUIDField):
    """A UUID in its text form only; DRF would turn the number 7 into 00000000-...-0007."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class SetLogSerializer(serializers.ModelSerializer):
    exercise = serializers.SlugField(
        max_length=120, help_text="Slug of a published exercise, such as `king-runner`."
    )
    reps = serializers.IntegerField(
        min_value=1, max_value=1000, allow_null=True, required=False, help_text="Reps done."
    )
    hold_seconds = serializers.IntegerField(
        min_value=1, max_value=3600, allow_null=True, required=False, help_text="Seconds held."
    )
    pain = serializers.IntegerField(
        min_value=0, max_value=10, default=0, help_text="0 (none) to 10 (worst)."
    )
    notes = serializers.CharField(max_length=500, allow_blank=True, required=False)

    class Meta:
        model = SetLog
        fields = ["exercise", "side", "reps", "hold_seconds", "pain", "notes"]

    def to_representation(self, instance: SetLog) -> dict[str, Any]:
        return {
            "exercise": instance.exercise.slug,
            "side": instance.side,
            "reps": instance.reps,
            "hold_seconds": instance.hold_seconds,
            "pain": instance.pain,
            "notes": instance.notes,
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("reps") is None and attrs.get("hold_seconds") is None:
            raise serializers.ValidationError(
                {"reps": ["Give reps, hold_seconds, or both: a set needs one of them."]}
            )
        return attrs


class WorkoutSessionSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: AwareDateTimeField,
    }
    id = UUIDStringField(
        required=False,
        help_text="Chosen by the client to make uploads idempotent, or by the server if left out.",
    )
    # Defaults, so that a PUT leaving a field out clears it rather than keeping the old value.
    perceived_effort = serializers.IntegerField(
        min_value=0, max_value=10, allow_null=True, default=None, help_text="0 to 10."
    )
    notes = serializers.CharField(max_length=2000, allow_blank=True, default="")
    version = _version_field()
    sets = SetLogSerializer(
        many=True,
        max_length=settings.MAX_SETS_PER_SESSION,
        help_text="What was done, in order.",
    )

    class Meta:
        model = WorkoutSession
        fields = [
            "id",
            "started_at",
            "ended_at",
            "notes",
            "perceived_effort",
            "sets",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"ended_at": {"default": None}}

    def validate_sets(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        published = Exercise.objects.filter(published=True).only("id", "slug")
        return resolve_slugs(
            value,
            published,
            noun="published exercise",
            key="exercise",
            field="exercise",
            unique=False,
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        started = attrs.get("started_at", getattr(self.instance, "started_at", None))
        ended = attrs.get("ended_at", getattr(self.instance, "ended_at", None))
        if started and ended and ended < started:
            raise serializers.ValidationError({"ended_at": ["Must not be before started_at."]})
        return attrs


class DeletedSessionSerializer(serializers.ModelSerializer):
    version = _version_field()

    class Meta:
        model = WorkoutSession
        fields = ["id", "deleted_at", "version"]


class SyncPageSerializer(serializers.Serializer):
    sessions = WorkoutSessionSerializer(many=True, help_text="Sessions created or changed.")
    deleted_sessions = DeletedSessionSerializer(many=True, help_text="Sessions deleted.")
    exercises = ExerciseSummarySerializer(
        many=True, help_text="Published exercises added or changed; fetch detail as needed."
    )
    removed_exercises = serializers.ListField(
        child=serializers.SlugField(), help_text="Slugs of exercises no longer published."
    )
    next_cursor = serializers.CharField(help_text="Pass as `since` to get the next changes.")
    has_more = serializers.BooleanField(help_text="True when another page is waiting.")


class ExportSerializer(serializers.Serializer):
    """Everything an account has logged, for the user to keep or take elsewhere."""

    user = ProfileSerializer()
    exported_at = serializers.DateTimeField()
    sessions = WorkoutSessionSerializer(many=True, help_text="Every session, oldest last.")
