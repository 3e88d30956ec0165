import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from exercises.models import Dose, Exercise, Routine, dose_constraints, position_constraints
from hipflex_api.accounts.models import CoachingLink, User

from . import limits


class WorkoutSessionQuerySet(models.QuerySet["WorkoutSession"]):
    def for_user(self, user: "User") -> "WorkoutSessionQuerySet":
        return self.filter(user=user)

    def live(self) -> "WorkoutSessionQuerySet":
        return self.filter(deleted_at__isnull=True)


class WorkoutSession(models.Model):
    """One workout a user did. Deleting keeps a tombstone so other devices learn of it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own on a foreign key that leads a composite index or constraint below:
    # that one serves its lookups, and each index costs every upload another write.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="workout_sessions",
        db_index=False,  # session_user_started_idx
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    perceived_effort = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0 (rest) to 10 (all-out)."
    )
    # History, not a live link: deleting the routine later must not rewrite the session
    # (nor, unseen by its version and the sync feed, null this field).
    routine = models.ForeignKey(
        Routine,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="sessions",
        help_text="The id of the routine the session was started from, kept if it is deleted.",
    )
    routine_name = models.CharField(
        max_length=120, blank=True, help_text="The routine's name when the session started."
    )
    # History as well: which of a trainer's assignments and which of its occurrences (the
    # day, in the client's time zone, and the time of that day) the session fulfils.
    assignment = models.ForeignKey(
        "Assignment",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # session_one_per_occurrence
        null=True,
        blank=True,
        related_name="sessions",
        help_text="The id of the assignment the session was started from, kept if it ends.",
    )
    occurrence_date = models.DateField(
        null=True, blank=True, help_text="The day of the assignment it fulfils."
    )
    occurrence = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Which time of that day, from 1."
    )
    version = models.PositiveIntegerField(default=1, help_text="Raised by every change.")
    change_seq = models.BigIntegerField(help_text="Position in the owner's change feed.")
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkoutSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["user", "-started_at", "-id"], name="session_user_started_idx"),
            # What the quotas on sessions per day and starts per hour count.
            models.Index(fields=["user", "created_at"], name="session_user_created_idx"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "change_seq"], name="session_user_change_seq"),
            limits.PERCEIVED_EFFORT.constraint(
                "perceived_effort", name="session_effort_range", nullable=True
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="session_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(assignment__isnull=True, occurrence_date=None, occurrence=None)
                | Q(assignment__isnull=False, occurrence_date__isnull=False, occurrence__gte=1),
                name="session_occurrence_whole",
            ),
            # One live session fulfils an occurrence; deleting it frees the occurrence.
            models.UniqueConstraint(
                fields=["assignment", "occurrence_date", "occurrence"],
                condition=Q(deleted_at__isnull=True),
                name="session_one_per_occurrence",
            ),
            # Times the serializers may let in; what they refuse past now, this cannot know.
            models.CheckConstraint(
                condition=Q(started_at__gte=limits.SESSION_EARLIEST)
                & Q(started_at__lt=limits.SESSION_LATEST_STORABLE)
                & (Q(ended_at__isnull=True) | Q(ended_at__lt=limits.SESSION_LATEST_STORABLE)),
                name="session_times_storable",
                violation_error_message="A session's times must be from 1970 on.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


# What a logged set holds, in the order the API shows it: the serializer, the admin and the
# comparison of an upload with what is stored all name these.
SET_FIELDS = ("exercise", "side", "reps", "hold_seconds", "pain", "notes", "done", "rest_seconds")


class SetLog(models.Model):
    class Side(models.TextChoices):
        LEFT = "left", "Left"
        RIGHT = "right", "Right"
        BOTH = "both", "Both"

    session = models.ForeignKey(
        WorkoutSession,
        on_delete=models.CASCADE,
        related_name="sets",
        db_index=False,  # setlog_position_unique, as for WorkoutSession.user
    )
    position = models.PositiveSmallIntegerField()
    exercise = models.ForeignKey(
        Exercise,
        on_delete=models.PROTECT,
        related_name="set_logs",
        db_index=False,  # setlog_exercise_idx
    )
    side = models.CharField(max_length=5, choices=Side.choices, default=Side.BOTH)
    reps = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_seconds = models.PositiveIntegerField(null=True, blank=True)
    pain = models.PositiveSmallIntegerField(default=0, help_text="0 (none) to 10 (worst).")
    notes = models.CharField(max_length=500, blank=True)
    done = models.BooleanField(
        default=True, help_text="False for a set planned from a routine and not yet done."
    )
    rest_seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Planned rest after the set."
    )

    class Meta:
        ordering = ["position"]
        indexes: ClassVar = [
            models.Index(fields=["exercise", "session"], name="setlog_exercise_idx")
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["session", "position"], name="setlog_position_unique"),
            models.CheckConstraint(
                condition=Q(reps__isnull=False) | Q(hold_seconds__isnull=False),
                name="setlog_reps_or_hold",
            ),
            limits.REPS.constraint("reps", name="setlog_reps_range", nullable=True),
            limits.HOLD_SECONDS.constraint("hold_seconds", name="setlog_hold_range", nullable=True),
            limits.PAIN.constraint("pain", name="setlog_pain_range", nullable=False),
            limits.REST_SECONDS.constraint("rest_seconds", name="setlog_rest_range", nullable=True),
            models.CheckConstraint(
                condition=Q(side__in=["left", "right", "both"]), name="setlog_side_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} ({self.side})"


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def live(self) -> "AssignmentQuerySet":
        return self.filter(deleted_at__isnull=True)

    def for_client(self, user: User) -> "AssignmentQuerySet":
        """The client's programs that stand: live, from a trainer they still share with."""
        return self.live().filter(client=user, link__isnull=False, link__ended_at__isnull=True)

    def for_link(self, link: CoachingLink) -> "AssignmentQuerySet":
        return self.live().filter(link=link)


class Assignment(models.Model):
    """A home program a trainer prescribes to a client: a routine's items copied with their
    dose, so that a later edit of the routine does not change it, on a schedule. Ending it
    (the trainer deletes it, or either side ends the link) keeps a tombstone for sync."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignments",
        db_index=False,  # assignment_client_change_seq
    )
    # The link it was prescribed through; null once the trainer's account is deleted (its
    # links, and so this assignment, ended first).
    link = models.ForeignKey(
        CoachingLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    routine = models.ForeignKey(
        Routine,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="assignments",
        help_text="The id of the routine it was copied from, kept if that is deleted.",
    )
    name = models.CharField(max_length=120, help_text="The routine's name when it was assigned.")
    note = models.TextField(blank=True, max_length=2000, help_text="The trainer's note.")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    weekdays = models.PositiveSmallIntegerField(
        default=limits.EVERY_DAY, help_text="One bit per day of the week, bit 0 for Monday."
    )
    times_per_day = models.PositiveSmallIntegerField(default=1)
    paused_from = models.DateField(
        null=True, blank=True, help_text="Paused since this day: nothing is due while paused."
    )
    # Earlier pauses, as [first day, day it resumed) pairs of ISO dates: what adherence skips.
    pauses = models.JSONField(default=list, blank=True)
    # Earlier schedules, oldest first, each [day it changed, weekdays, times_per_day]: what
    # was due before that day, so that a change does not rewrite past adherence.
    schedules = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Raised by every change.")
    change_seq = models.BigIntegerField(help_text="Position in the client's change feed.")
    deleted_at = models.DateTimeField(null=True, blank=True)
    adherence_told_until = models.DateField(
        null=True,
        blank=True,
        help_text="The Sunday of the last week whose adherence its webhooks were told.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "created_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["client", "change_seq"], name="assignment_client_change_seq"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="assignment_ends_after_start",
                violation_error_message="The end date must not be before the start date.",
            ),
            models.CheckConstraint(
                condition=Q(start_date__gte=limits.PROGRAM_EARLIEST)
                & (Q(end_date__isnull=True) | Q(end_date__lte=limits.PROGRAM_LATEST)),
                name="assignment_dates_storable",
                violation_error_message="A program's dates must be from 1970 to 2199.",
            ),
            limits.WEEKDAYS.constraint("weekdays", name="assignment_weekdays", nullable=False),
            limits.TIMES_PER_DAY.constraint(
                "times_per_day", name="assignment_times_per_day", nullable=False
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} for {self.client}"

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    @property
    def days_of_week(self) -> list[int]:
        return [day for day in range(1, 8) if self.weekdays & 1 << (day - 1)]


# What a trainer sets of an assignment besides its items, as the model stores it (the API's
# days_of_week is stored as weekdays).
ASSIGNMENT_FIELDS = ("start_date", "end_date", "weekdays", "times_per_day", "note")


def weekdays_of(days: list[int]) -> int:
    """The bits of `days` (ISO days of the week) as Assignment.weekdays stores them."""
    return sum({1 << (day - 1) for day in days})


class AssignmentItem(Dose):
    """One exercise of an assignment, with its dose: the routine item's, changed as the
    trainer prescribes. Its position is the routine item's."""

    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.CASCADE,
        related_name="items",
        db_index=False,  # assignment_item_position_unique
    )
    position = models.PositiveSmallIntegerField(help_text="The routine item's place, from 1.")
    exercise = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="assignment_items"
    )

    class Meta:
        ordering = ["position"]
        constraints: ClassVar = [
            *position_constraints("assignment", "assignment_item"),
            *dose_constraints("assignment_item"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.exercise}"


class Flag(models.TextChoices):
    """Why a client needs their trainer's attention."""

    PAIN = "pain", "Pain at or above the threshold in a recent session"
    MISSED = "missed", "Planned times missed in a row"
    LOW_ADHERENCE = "low_adherence", "Adherence below the threshold"
    INACTIVE = "inactive", "No session for days while a program stands"


class Acknowledgement(models.Model):
    """A trainer saw a flag of a client's: it stays away until something new happens (a new
    painful session, a new time missed, a new stretch without a session)."""

    link = models.ForeignKey(
        CoachingLink,
        on_delete=models.CASCADE,
        related_name="acknowledgements",
        db_index=False,  # acknowledgement_one_per_flag
    )
    reason = models.CharField(max_length=13, choices=Flag.choices)
    note = models.CharField(max_length=500, blank=True)
    acknowledged_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["link", "reason"], name="acknowledgement_one_per_flag"),
            models.CheckConstraint(
                condition=Q(reason__in=Flag.values), name="acknowledgement_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} of {self.link}"


class ProposalKind(models.TextChoices):
    MILDER = "milder", "The milder option, after pain"
    HARDER = "harder", "The harder option, after a pain-free stretch of the program done"


class Decision(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class ProposalDecision(models.Model):
    """What a trainer decided on a proposed change of a program's exercise: accepted (the
    item now holds the other exercise, with its dose) or declined (not proposed again until a
    new session of it). The record of every swap."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveSmallIntegerField()
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    suggested = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=ProposalKind.choices)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["decided_at", "id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind__in=ProposalKind.values) & Q(decision__in=Decision.values),
                name="proposal_decision_valid",
            ),
            models.CheckConstraint(
                condition=~Q(exercise=F("suggested")), name="proposal_changes_the_exercise"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} {self.exercise} -> {self.suggested}"


class MyClient(CoachingLink):
    """A trainer's standing link as the admin lists it, under "My clients" (sessions.admin):
    a proxy, so the link stays accounts' while the entry sits with the programs."""

    class Meta:
        proxy = True
        verbose_name = "My client"
        verbose_name_plural = "My clients"
