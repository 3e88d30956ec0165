import functools
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from exercises import limits as prescribed
from exercises.models import ITEM_DOSE_FIELDS, Exercise, Routine
from exercises.serializers import (
    ExerciseRefSerializer,
    ExerciseSlugField,
    ExerciseSummarySerializer,
    resolve_slugs,
)
from hipflex_api.accounts.models import CoachingLink, User
from hipflex_api.accounts.serializers import LinkedTrainerSerializer, ProfileSerializer
from hipflex_api.fields import (
    OneOfRequiredMixin,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictModelSerializer,
    StrictSlugField,
    StrictUUIDField,
    WholeItemMixin,
    health_data,
    max_length_of,
)
from hipflex_api.filters import refuse_empty

from . import limits
from .models import (
    SET_FIELDS,
    Acknowledgement,
    Assignment,
    AssignmentItem,
    Flag,
    ProposalKind,
    SetLog,
    WorkoutSession,
    weekdays_of,
)


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


class SetLogSerializer(OneOfRequiredMixin, WholeItemMixin, StrictModelSerializer):
    """One set: give `reps`, `hold_seconds`, or both."""

    exercise = ExerciseSlugField(help_text="Slug of a published exercise, such as `king-runner`.")
    reps = limits.REPS.field(allow_null=True, required=False, help_text="Reps done.")
    hold_seconds = limits.HOLD_SECONDS.field(
        allow_null=True, required=False, help_text="Seconds held."
    )
    pain = health_data(limits.PAIN.field(default=0, help_text="0 (none) to 10 (worst)."))
    done = StrictBooleanField(
        default=True, help_text="False for a set planned from a routine and not done yet."
    )
    rest_seconds = limits.REST_SECONDS.field(
        allow_null=True, required=False, help_text="Planned rest after the set."
    )

    class Meta:
        model = SetLog
        fields = list(SET_FIELDS)

    one_of_required = ("reps", "hold_seconds")
    one_of_message = "Give reps, hold_seconds, or both: a set needs one of them."


SESSION_TIMES = "From 1970 to a day past the server's time, with an offset."


def within_session_times(value: datetime) -> datetime:
    """A session's time, if it can be one (limits.SESSION_EARLIEST to a day past now)."""
    latest = timezone.now() + limits.SESSION_AHEAD
    if not limits.SESSION_EARLIEST <= value <= latest:
        raise serializers.ValidationError(
            f"Must be from {limits.SESSION_EARLIEST:%Y-%m-%d} to a day past the server's "
            "time: is the device's clock right?",
            code="out_of_range",
        )
    return value


class WorkoutSessionSerializer(StrictModelSerializer):
    serializer_field_mapping = {
        **StrictModelSerializer.serializer_field_mapping,
        models.DateTimeField: AwareDateTimeField,
    }
    id = StrictUUIDField(
        required=False,
        help_text="Chosen by the client to make uploads idempotent, or by the server if left out.",
    )
    # Defaults, so that a PUT leaving a field out clears it rather than keeping the old value.
    perceived_effort = health_data(
        limits.PERCEIVED_EFFORT.field(allow_null=True, default=None, help_text="0 to 10.")
    )
    notes = StrictCharField(
        max_length=max_length_of(WorkoutSession, "notes"), allow_blank=True, default=""
    )
    version = _version_field()
    sets = SetLogSerializer(  # type: ignore[call-arg]  # the stubs lack max_length
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
            "routine",
            "routine_name",
            "assignment",
            "occurrence_date",
            "occurrence",
            "sets",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "routine",
            "routine_name",
            "assignment",
            "occurrence_date",
            "occurrence",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "started_at": {"help_text": SESSION_TIMES},
            "ended_at": {"default": None, "help_text": f"{SESSION_TIMES} Not before started_at."},
        }

    def validate_sets(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        allowed = Q(published=True)
        if self.instance is not None:
            # A retried or edited upload may keep an exercise unpublished since it was logged.
            logged = SetLog.objects.filter(session=self.instance).values("exercise_id")
            allowed |= Q(pk__in=logged)
        return resolve_slugs(
            value,
            Exercise.objects.filter(allowed).only("id", "slug"),
            noun="published exercise",
            key="exercise",
            field="exercise",
            unique=False,
        )

    def validate_started_at(self, value: datetime) -> datetime:
        return within_session_times(value)

    def validate_ended_at(self, value: datetime | None) -> datetime | None:
        return None if value is None else within_session_times(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        started = attrs.get("started_at", getattr(self.instance, "started_at", None))
        ended = attrs.get("ended_at", getattr(self.instance, "ended_at", None))
        if started and ended and ended < started:
            raise serializers.ValidationError({"ended_at": ["Must not be before started_at."]})
        return attrs


class DeletedSessionSerializer(StrictModelSerializer):
    version = _version_field()
    deleted_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = WorkoutSession
        fields = ["id", "deleted_at", "version"]


Row = dict[str, Any]


def _each(read: Callable[[Row], Row]) -> Callable[[list[Row]], list[Row]]:
    return lambda rows: [read(row) for row in rows]


def _same(value: Any) -> Any:
    return value


def _reader(serializer: serializers.Serializer) -> tuple[list[str], Callable[[Row], Row]]:
    """The values() keys `serializer`'s readable fields take, and a function that gives from
    such a row what the serializer's `data` gives from the model instance: the same fields,
    each through its own to_representation, without building the instance (most of an
    export's time). A nested list serializer reads the rows put under its name instead."""
    columns: list[tuple[str, str, Callable[[Any], Any]]] = []
    keys: list[str] = []
    for name, field in serializer.fields.items():
        source = str(field.source)
        if field.write_only:
            continue
        if isinstance(field, serializers.ListSerializer):
            columns.append((name, name, _each(_reader(field.child)[1])))  # type: ignore[arg-type]
            continue
        if isinstance(field, serializers.PrimaryKeyRelatedField):
            key, represent = f"{source}_id", _same
        elif isinstance(field, ExerciseSlugField):
            key, represent = f"{source}__slug", field.to_representation
        elif "." not in source and source != "*":
            key, represent = source, field.to_representation
        else:  # A field this reading does not know would be answered wrong: say so.
            raise TypeError(f"{type(serializer).__name__}.{name} cannot be read from a row")
        columns.append((name, key, represent))
        keys.append(key)

    def read(row: Row) -> Row:
        return {
            name: None if (value := row[key]) is None else represent(value)
            for name, key, represent in columns
        }

    return keys, read


@functools.cache
def export_readers() -> tuple[list[str], Callable[[Row], Row], list[str]]:
    """The session and set columns an export reads, and the reader of a session row (with its
    set rows under `sets`), from WorkoutSessionSerializer's fields: made once."""
    session_keys, read = _reader(WorkoutSessionSerializer())
    set_keys, _ = _reader(SetLogSerializer())
    return session_keys, read, set_keys


def export_json(
    *,
    user: User,
    exported_at: datetime,
    coaching: dict[str, Any],
    chunks: Iterable[list[Row]],
) -> Iterator[bytes]:
    """ExportSerializer's document, byte for byte as JSONRenderer writes it, with the
    account's links and programs (services.export_coaching), and a chunk of session rows
    (services.session_export_chunks) at a time: the bytes of one chunk in
    memory, never the whole document."""
    renderer = JSONRenderer()
    _, read, _ = export_readers()
    head = ExportSerializer(
        {**coaching, "user": user, "exported_at": exported_at, "sessions": []}
    ).data
    del head["sessions"]  # The last field: what follows `"sessions":[` is streamed.
    yield renderer.render(head).removesuffix(b"}") + b',"sessions":['
    separator = b""
    for chunk in chunks:
        sessions = renderer.render([read(row) for row in chunk])[1:-1]
        del chunk  # Gone before the next chunk is read: one in memory, not two.
        yield separator + sessions
        separator = b","
    yield b"]}"


class AdviceSerializer(serializers.Serializer):
    exercise = StrictSlugField(source="exercise.slug")
    action = serializers.ChoiceField(
        choices=["keep", "milder", "harder", "caution"],
        help_text="`keep` it; switch to the `suggested` `milder` option (recent sets hurt) or "
        "`harder` one (several easy, pain-free sessions); or `caution`: it hurt and no milder "
        "option suits, so ease off or skip it.",
    )
    suggested = ExerciseRefSerializer(allow_null=True, help_text="The option to switch to.")
    reason = health_data(StrictCharField(help_text="Why, in a sentence the app can show."))
    painful_side = health_data(
        serializers.ChoiceField(
            choices=["left", "right"],
            allow_null=True,
            help_text="Set when the recent sets hurt on one side only.",
        )
    )
    recent_pain = health_data(
        serializers.IntegerField(
            allow_null=True, help_text="The highest pain (0-10) in the recent sets."
        )
    )
    sessions_considered = serializers.IntegerField(
        help_text="How many of the latest sessions with the exercise the advice looked at."
    )


# A comment, not a docstring (the schema would give it to each start's body): what every
# start of a session takes, the id that makes its retry safe and when it starts.
class _SessionStartSerializer(serializers.Serializer):
    id = StrictUUIDField(
        source="session_id",
        required=False,
        help_text="The new session's id, chosen by the client so that a retry is safe.",
    )
    started_at = AwareDateTimeField(
        required=False, help_text="Defaults to now. From 1970 to a day past the server's time."
    )

    def validate_started_at(self, value: datetime) -> datetime:
        return within_session_times(value)


class RoutineStartSerializer(_SessionStartSerializer):
    # Validated data as session_start_from_routine takes it.
    keep = serializers.ListField(
        child=StrictSlugField(),
        required=False,
        default=list,
        max_length=prescribed.ROUTINE_ITEMS,
        help_text="Slugs of the routine's exercises to keep where a milder option would take "
        "their place.",
    )
    accept = serializers.ListField(
        child=StrictSlugField(),
        required=False,
        default=list,
        max_length=prescribed.ROUTINE_ITEMS,
        help_text="Slugs of the routine's exercises to swap for the harder option the advice "
        "proposes; without this, a harder option is only proposed.",
    )


class AdjustmentSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="The routine item's place, from 0.")
    exercise = ExerciseRefSerializer(help_text="What the routine prescribes.")
    suggested = ExerciseRefSerializer(
        allow_null=True, help_text="What the advice proposes instead; null for `caution`."
    )
    action = serializers.ChoiceField(choices=["milder", "harder", "caution"])
    reason = health_data(StrictCharField(help_text="Why, in a sentence the app can show."))
    painful_side = health_data(serializers.ChoiceField(choices=["left", "right"], allow_null=True))
    applied = StrictBooleanField(
        help_text="True when the session's sets use the suggestion: a milder option unless "
        "kept, a harder one only when accepted."
    )


class StartedSessionSerializer(serializers.Serializer):
    session = WorkoutSessionSerializer()
    adjustments = AdjustmentSerializer(many=True)


class WeekCountSerializer(serializers.Serializer):
    week_start = serializers.DateField(help_text="The Monday, in the user's time zone.")
    sessions = serializers.IntegerField()


class SideTotalsSerializer(serializers.Serializer):
    reps = serializers.IntegerField()
    hold_seconds = serializers.IntegerField()
    average_pain = health_data(serializers.FloatField())
    max_pain = health_data(serializers.IntegerField())


class SidesSerializer(serializers.Serializer):
    left = SideTotalsSerializer(allow_null=True, help_text="Null when no set was on the left.")
    right = SideTotalsSerializer(allow_null=True, help_text="Null when no set was on the right.")


class PainWeekSerializer(serializers.Serializer):
    week_start = serializers.DateField()
    average_pain = health_data(serializers.FloatField())
    max_pain = health_data(serializers.IntegerField())
    sets = serializers.IntegerField()


class ExerciseStatsSerializer(serializers.Serializer):
    exercise = StrictSlugField()
    name = StrictCharField()
    sets = serializers.IntegerField(help_text="Sets done.")
    total_reps = serializers.IntegerField()
    total_hold_seconds = serializers.IntegerField(help_text="Time under stretch or hold.")
    average_pain = health_data(serializers.FloatField())
    max_pain = health_data(serializers.IntegerField())
    sides = SidesSerializer(
        allow_null=True, help_text="Left against right; null unless done one side at a time."
    )
    pain_trend = health_data(
        PainWeekSerializer(many=True, help_text="Pain per week, recent weeks only.")
    )


class SideAdherenceSerializer(serializers.Serializer):
    exercise = StrictSlugField(source="exercise.slug")
    name = StrictCharField(source="exercise.name")
    side = serializers.ChoiceField(
        choices=SetLog.Side.choices,
        help_text="`left` and `right` for a one-sided exercise, each counted on its own.",
    )
    sets_planned = serializers.IntegerField()
    sets_done = serializers.IntegerField(help_text="At most those planned.")
    rate = serializers.FloatField(allow_null=True, help_text="Done over planned, 0 to 1.")


class _TimesDone(serializers.Serializer):
    occurrences_planned = serializers.IntegerField()
    occurrences_done = serializers.IntegerField()
    rate = serializers.FloatField(
        allow_null=True, help_text="Done over planned, 0 to 1; null when nothing was due."
    )


class AdherenceTotalSerializer(_TimesDone):
    start = serializers.DateField()
    end = serializers.DateField()


class AdherenceSerializer(AdherenceTotalSerializer):
    """The times programs were due against the times a session with sets done fulfilled
    them, in the client's time zone. A day counts once it is over; today counts only what is
    done already."""

    missed_in_a_row = serializers.IntegerField(
        help_text="Times missed in a row, up to the latest that counts."
    )
    exercises = SideAdherenceSerializer(many=True, help_text="Sets planned against sets done.")


class ProgressStatsSerializer(serializers.Serializer):
    time_zone = StrictCharField(help_text="Weeks and days are counted in it.")
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    sessions_per_week = WeekCountSerializer(
        many=True, help_text="Weeks with at least one session, oldest first."
    )
    total_sessions = serializers.IntegerField()
    current_streak_weeks = serializers.IntegerField(
        help_text="Weeks in a row with a session, up to this week or last week."
    )
    longest_streak_weeks = serializers.IntegerField()
    exercises = ExerciseStatsSerializer(many=True)
    adherence = AdherenceSerializer(
        allow_null=True,
        help_text="Of the programs trainers prescribe the user, over the days asked for (from "
        "the first program's start without `start`); null without programs.",
    )


class StatsQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day, in the user's time zone.")
    end = serializers.DateField(required=False, help_text="Last day, included.")

    def to_internal_value(self, data: Any) -> Any:
        # DRF reads a form value left empty as left out; a date has no empty value.
        refuse_empty(data, self.fields)
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "start" in attrs and "end" in attrs and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["Must not be before start."]})
        return attrs


class _LinkedClientFields(serializers.Serializer):
    """A client as their trainer sees them, from a review.ClientSummary. The `id` is the
    link's: it names the client only while they share their log, and is 404 once either side
    ends the link."""

    id = serializers.UUIDField(source="link.id", read_only=True)
    name = serializers.CharField(
        source="link.client.get_full_name", read_only=True, help_text="The client's name."
    )
    email = serializers.EmailField(source="link.client.email", read_only=True)
    time_zone = serializers.CharField(
        source="link.client.time_zone",
        read_only=True,
        help_text="Where the client's days are counted.",
    )
    started_at = serializers.DateTimeField(source="link.started_at", read_only=True)
    shares = serializers.ListField(
        source="link.shares",
        child=serializers.ChoiceField(choices=CoachingLink.SHARED),
        read_only=True,
        help_text="What the client shares: `sessions` and `pain` (health data).",
    )


class PainBySideSerializer(serializers.Serializer):
    left = health_data(
        serializers.IntegerField(allow_null=True, help_text="Null: no set on that side.")
    )
    right = health_data(serializers.IntegerField(allow_null=True))
    both = health_data(
        serializers.IntegerField(allow_null=True, help_text="Sets done on both sides at once.")
    )


class ClientFlagSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=Flag.choices,
        help_text="`pain`: pain at or above the review threshold in a recent set, by side; "
        "`missed`: planned times missed in a row; `low_adherence`; `inactive`: no session "
        "for days while a program stands.",
    )
    sides = health_data(
        serializers.ListField(
            child=serializers.ChoiceField(choices=SetLog.Side.choices),
            help_text="For `pain`, the sides that hurt (`both`: sets done on both at once); "
            "empty for the others.",
        )
    )
    since = serializers.DateTimeField()
    detail = health_data(StrictCharField(help_text="What happened, in a sentence."))


class CoachingClientSerializer(_LinkedClientFields):
    last_7_days = AdherenceTotalSerializer(help_text="Adherence over the last 7 days.")
    last_28_days = AdherenceTotalSerializer(help_text="Adherence over the last 28 days.")
    last_session_at = serializers.DateTimeField(allow_null=True)
    worst_recent_pain = health_data(
        PainBySideSerializer(
            source="worst_pain", help_text="The worst pain (0-10) by side in the last days."
        )
    )
    flags = ClientFlagSerializer(many=True, help_text="Open flags, most urgent first.")


class WeekAdherenceSerializer(_TimesDone):
    week_start = serializers.DateField(help_text="The Monday, in the client's time zone.")


class WeekPainSerializer(PainBySideSerializer):
    week_start = serializers.DateField(help_text="The Monday, in the client's time zone.")


class ProposalSerializer(serializers.Serializer):
    assignment = serializers.UUIDField(source="assignment.id")
    position = serializers.IntegerField(source="item.position")
    exercise = ExerciseRefSerializer(source="item.exercise", help_text="What it holds now.")
    suggested = ExerciseRefSerializer(help_text="What it would hold instead, with its dose.")
    kind = serializers.ChoiceField(choices=ProposalKind.choices)
    painful_side = health_data(
        serializers.ChoiceField(
            source="side",
            choices=["left", "right"],
            allow_null=True,
            help_text="For `milder`: the one side that hurt, if only one did.",
        )
    )
    reason = health_data(StrictCharField(help_text="Why, in a sentence: the pain it follows."))


class CoachingClientDetailSerializer(CoachingClientSerializer):
    adherence = AdherenceSerializer(
        source="last_28_days", help_text="The last 28 days, per exercise and side."
    )
    adherence_by_week = WeekAdherenceSerializer(many=True, help_text="The last eight weeks.")
    pain_by_week = health_data(
        WeekPainSerializer(many=True, help_text="The worst pain by side, by week.")
    )
    proposals = ProposalSerializer(many=True, help_text="Changes to the programs to decide on.")


class ReviewItemSerializer(_LinkedClientFields):
    reason = serializers.ChoiceField(
        source="urgent.reason", choices=Flag.choices, help_text="The most urgent flag's."
    )
    since = serializers.DateTimeField(source="urgent.since")
    flags = ClientFlagSerializer(many=True, help_text="Every open flag, most urgent first.")


class AcknowledgeSerializer(serializers.Serializer):
    client = StrictUUIDField(help_text="The client's id, as in the review queue.")
    reason = StrictChoiceField(choices=Flag.choices)
    note = StrictCharField(
        max_length=max_length_of(Acknowledgement, "note"), allow_blank=True, default=""
    )


class ProposalChoiceSerializer(serializers.Serializer):
    assignment = StrictUUIDField(help_text="The program's id, as in the proposal.")
    position = prescribed.ROUTINE_POSITION.field(help_text="The item's position.")
    suggested = StrictSlugField(help_text="The suggested exercise's slug.")


class AssignmentItemSerializer(StrictModelSerializer):
    """An exercise of a program, with the dose the trainer prescribes."""

    exercise = StrictSlugField(source="exercise.slug", read_only=True)
    exercise_name = StrictCharField(source="exercise.name", read_only=True)
    unilateral = StrictBooleanField(
        source="exercise.unilateral",
        read_only=True,
        help_text="Done one side at a time: each set is done per side.",
    )

    class Meta:
        model = AssignmentItem
        fields = ["position", "exercise", "exercise_name", "unilateral", *ITEM_DOSE_FIELDS]
        read_only_fields = fields


class AssignmentSerializer(StrictModelSerializer):
    """A program a trainer prescribes: its items are a copy of the routine's as it was
    assigned, so a later edit of the routine does not change it."""

    trainer_name = serializers.CharField(
        source="link.trainer.get_full_name",
        read_only=True,
        allow_null=True,
        help_text="Who prescribes it; null once the trainer's account is deleted.",
    )
    days_of_week = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        read_only=True,
        help_text="ISO days it is due on: 1 is Monday, 7 Sunday.",
    )
    paused = serializers.SerializerMethodField(help_text="Nothing is due while paused.")
    items = AssignmentItemSerializer(many=True, read_only=True)
    version = _version_field()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "trainer_name",
            "routine",
            "name",
            "note",
            "start_date",
            "end_date",
            "days_of_week",
            "times_per_day",
            "paused",
            "paused_from",
            "items",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_paused(self, assignment: Assignment) -> bool:
        return assignment.paused_from is not None


class DoseChangeSerializer(serializers.Serializer):
    """What to change of one item's dose: the fields given; the rest stay the routine's."""

    position = prescribed.ROUTINE_POSITION.field(help_text="The item's position, from 1.")
    sets = prescribed.SETS.field(required=False)
    reps_per_side = prescribed.REPS_PER_SIDE.field(allow_null=True, required=False)
    hold_seconds = prescribed.HOLD_SECONDS.field(allow_null=True, required=False)
    rest_seconds = prescribed.REST_SECONDS.field(required=False)
    notes = StrictCharField(
        max_length=max_length_of(AssignmentItem, "notes"), allow_blank=True, required=False
    )


def _within_programs(value: date) -> None:
    if not limits.PROGRAM_EARLIEST <= value <= limits.PROGRAM_LATEST:
        raise serializers.ValidationError(
            f"Must be from {limits.PROGRAM_EARLIEST} to {limits.PROGRAM_LATEST}.",
            code="out_of_range",
        )


@extend_schema_field(OpenApiTypes.INT)
class PrescribableRoutineField(serializers.PrimaryKeyRelatedField):
    """A routine the trainer in the context may prescribe; any other id is one that does not
    exist."""

    def get_queryset(self) -> QuerySet[Routine]:
        trainer = self.context["trainer"]
        return Routine.objects.filter(Q(owner__isnull=True, published=True) | Q(owner=trainer))


class AssignmentChangeSerializer(serializers.Serializer):
    """A change to a program: the fields given change, the rest stay."""

    start_date = serializers.DateField(required=False, validators=[_within_programs])
    end_date = serializers.DateField(
        allow_null=True,
        required=False,
        validators=[_within_programs],
        help_text="The last day, included; null for no end.",
    )
    days_of_week = serializers.ListField(
        child=limits.ISO_WEEKDAY.field(),
        min_length=1,
        max_length=7,
        required=False,
        help_text="ISO days it is due on: 1 is Monday, 7 Sunday. Every day unless given.",
    )
    times_per_day = limits.TIMES_PER_DAY.field(required=False)
    note = StrictCharField(
        max_length=max_length_of(Assignment, "note"),
        allow_blank=True,
        required=False,
        help_text="For the client: what to watch for, when to stop.",
    )
    items = DoseChangeSerializer(
        many=True,
        required=False,
        max_length=prescribed.ROUTINE_ITEMS,  # type: ignore[call-arg]  # the stubs lack it
        help_text="Dose changes, each naming an item by its position.",
    )
    paused = StrictBooleanField(
        required=False, help_text="True pauses it from today (nothing is due); false resumes."
    )

    def validate_days_of_week(self, value: list[int]) -> list[int]:
        if len(set(value)) < len(value):
            raise serializers.ValidationError("Name each day once.", code="unique")
        return value

    def validate_items(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        positions = [change["position"] for change in value]
        if len(set(positions)) < len(positions):
            raise serializers.ValidationError("Name each position once.", code="unique")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "days_of_week" in attrs:
            attrs["weekdays"] = weekdays_of(attrs.pop("days_of_week"))
        return attrs


class AssignmentCreateSerializer(AssignmentChangeSerializer):
    """A routine prescribed to a client, on a schedule, with dose changes."""

    routine = PrescribableRoutineField(
        help_text="A published curated routine, or one of the trainer's own."
    )
    start_date = serializers.DateField(validators=[_within_programs], help_text="The first day.")
    paused = None  # type: ignore[assignment]  # A new program is not paused.


class AssignmentStartSerializer(_SessionStartSerializer):
    # Validated data as session_start_from_assignment takes it.
    date = serializers.DateField(
        source="day",
        required=False,
        help_text="The day of the program it fulfils, within a day of the one `started_at` "
        "falls on in the caller's time zone; by default that day.",
    )
    occurrence = limits.TIMES_PER_DAY.field(
        required=False, help_text="Which time of that day; by default the first without a session."
    )


# Where a time due stands; the schema keeps its first name for it, StatusEnum.
OCCURRENCE_STATUSES = ["due", "started", "done"]


class OccurrenceSerializer(serializers.Serializer):
    assignment = serializers.UUIDField(source="assignment.id")
    name = StrictCharField(source="assignment.name")
    trainer_name = StrictCharField(source="assignment.link.trainer.get_full_name")
    note = StrictCharField(source="assignment.note")
    occurrence = serializers.IntegerField(source="number", help_text="Which time of the day.")
    times_per_day = serializers.IntegerField(source="assignment.times_per_day")
    status = serializers.ChoiceField(
        choices=OCCURRENCE_STATUSES,
        help_text="`due`: no session yet; `started`: a session, none of its sets done yet; "
        "`done`: a session with sets done.",
    )
    session = serializers.UUIDField(allow_null=True, help_text="The session that fulfils it.")
    items = AssignmentItemSerializer(source="assignment.items", many=True)


class PlanSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The day, in the caller's time zone.")
    time_zone = StrictCharField()
    occurrences = OccurrenceSerializer(many=True, help_text="What is due, program by program.")


class PlanQuerySerializer(serializers.Serializer):
    # Any day: one outside every program's dates has nothing due.
    date = serializers.DateField(required=False, help_text="Default: today, where you are.")

    def to_internal_value(self, data: Any) -> Any:
        refuse_empty(data, self.fields)
        return super().to_internal_value(data)


class DeletedAssignmentSerializer(StrictModelSerializer):
    version = _version_field()
    deleted_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "deleted_at", "version"]


class SyncPageSerializer(serializers.Serializer):
    sessions = WorkoutSessionSerializer(many=True, help_text="Sessions created or changed.")
    deleted_sessions = DeletedSessionSerializer(many=True, help_text="Sessions deleted.")
    assignments = AssignmentSerializer(
        many=True, help_text="Programs a trainer assigned or changed."
    )
    deleted_assignments = DeletedAssignmentSerializer(
        many=True, help_text="Programs ended: deleted by the trainer, or their link ended."
    )
    exercises = ExerciseSummarySerializer(
        many=True, help_text="Published exercises added or changed; fetch detail as needed."
    )
    removed_exercises = serializers.ListField(
        child=StrictSlugField(), help_text="Slugs of exercises no longer published."
    )
    next_cursor = StrictCharField(help_text="Pass as `since` to get the next changes.")
    has_more = StrictBooleanField(help_text="True when another page is waiting.")


class ExportedTrainerSerializer(LinkedTrainerSerializer):
    """A trainer the person shares, or shared, their log with."""

    class Meta(LinkedTrainerSerializer.Meta):
        fields = [*LinkedTrainerSerializer.Meta.fields, "ended_at", "ended_by"]
        read_only_fields = fields


class ExportedClientSerializer(serializers.ModelSerializer[CoachingLink]):
    """A client the person coaches now (an ended link is the client's own business)."""

    name = serializers.CharField(source="client.get_full_name", read_only=True)
    email = serializers.EmailField(source="client.email", read_only=True)

    class Meta:
        model = CoachingLink
        fields = ["id", "name", "email", "started_at"]
        read_only_fields = fields


class ExportedAssignmentSerializer(AssignmentSerializer):
    ended_at = serializers.DateTimeField(
        source="deleted_at", allow_null=True, help_text="When it ended; null while it stands."
    )

    class Meta(AssignmentSerializer.Meta):
        fields = [*AssignmentSerializer.Meta.fields, "ended_at"]
        read_only_fields = fields


class ExportSerializer(serializers.Serializer):
    """Everything an account has logged, for the user to keep or take elsewhere."""

    user = ProfileSerializer()
    exported_at = serializers.DateTimeField()
    trainers = ExportedTrainerSerializer(
        many=True, help_text="Every trainer the person shared their log with, and when."
    )
    clients = ExportedClientSerializer(many=True, help_text="The person's clients now.")
    assignments = ExportedAssignmentSerializer(
        many=True, help_text="Every program trainers prescribed the person, ended ones too."
    )
    sessions = WorkoutSessionSerializer(many=True, help_text="Every session, oldest last.")
