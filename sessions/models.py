import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from exercises.models import Exercise, Routine
from hipflex_api.accounts.models import User

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
