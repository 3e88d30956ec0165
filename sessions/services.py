"""Writes to workout sessions, each numbered in the owner's change feed, all or nothing."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from exercises.models import Exercise, Routine
from hipflex_api.accounts.models import User
from hipflex_api.changes import next_change_seq, user_scope

from .coaching import advice_for
from .models import SetLog, WorkoutSession

_SESSION_FIELDS = ("started_at", "ended_at", "notes", "perceived_effort")


def sessions_with_sets(queryset: QuerySet[WorkoutSession]) -> QuerySet[WorkoutSession]:
    # One query for all sets of the page and their exercise slugs, not one per session.
    sets = SetLog.objects.select_related("exercise").only(
        "session_id",
        "position",
        "side",
        "reps",
        "hold_seconds",
        "pain",
        "notes",
        "done",
        "rest_seconds",
        "exercise__slug",
    )
    return queryset.prefetch_related(Prefetch("sets", queryset=sets))


def _write_sets(session: WorkoutSession, sets: list[dict[str, Any]]) -> None:
    SetLog.objects.bulk_create(
        SetLog(session=session, position=index, **item) for index, item in enumerate(sets)
    )


@transaction.atomic
def session_create(
    *, user: User, data: dict[str, Any], session_id: UUID | None = None
) -> WorkoutSession:
    """Create a session with its sets. A clash on the id raises IntegrityError for the caller."""
    fields = {key: data[key] for key in _SESSION_FIELDS if key in data}
    session = WorkoutSession.objects.create(
        id=session_id or data.get("id") or WorkoutSession._meta.pk.get_default(),  # type: ignore[union-attr]
        user=user,
        change_seq=next_change_seq(user_scope(user.pk)),
        **fields,
    )
    _write_sets(session, data.get("sets", []))
    return session


@transaction.atomic
def session_update(*, session: WorkoutSession, data: dict[str, Any]) -> WorkoutSession:
    """Apply a PUT or PATCH: the fields given, and the sets if given (they replace the old)."""
    for key in _SESSION_FIELDS:
        if key in data:
            setattr(session, key, data[key])
    session.version += 1
    session.change_seq = next_change_seq(user_scope(session.user_id))
    session.save()
    if "sets" in data:
        session.sets.all().delete()
        _write_sets(session, data["sets"])
    return session


@transaction.atomic
def session_delete(*, session: WorkoutSession) -> None:
    """Replace the session with a tombstone that sync hands to the owner's other devices."""
    session.sets.all().delete()
    session.deleted_at = timezone.now()
    session.notes = ""
    session.version += 1
    session.change_seq = next_change_seq(user_scope(session.user_id))
    session.save()


def session_export(*, user: User) -> dict[str, Any]:
    """The account's data, ready for ExportSerializer."""
    sessions = sessions_with_sets(WorkoutSession.objects.for_user(user).live())
    return {"user": user, "exported_at": timezone.now(), "sessions": sessions}


_MAX_CHANGE_SEQ = 2**63 - 1  # The largest number a BigIntegerField holds.


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class SyncCursor:
    """How far a device has read: the last change number of its user's logs and of the catalog."""

    sessions: int = 0
    catalog: int = 0
    first_sync: bool = False  # Still paging through a first sync, which has nothing to remove.

    def encode(self) -> str:
        data = {"s": self.sessions, "c": self.catalog} | ({"f": 1} if self.first_sync else {})
        raw = json.dumps(data, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> "SyncCursor":
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            data = json.loads(raw)
            sessions, catalog, first_sync = data["s"], data["c"], data.get("f", 0)
        except (binascii.Error, ValueError, TypeError, KeyError) as exc:
            raise InvalidCursor("Not a cursor this server handed out.") from exc
        if not all(
            isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= _MAX_CHANGE_SEQ
            for n in (sessions, catalog)
        ) or first_sync not in (0, 1):
            raise InvalidCursor("Not a cursor this server handed out.")
        return cls(sessions=sessions, catalog=catalog, first_sync=first_sync == 1)


@dataclass
class SyncPage:
    sessions: list[WorkoutSession]
    deleted_sessions: list[WorkoutSession]
    exercises: list[Exercise]
    removed_exercises: list[str]
    next_cursor: str
    has_more: bool


def sync_page(*, user: User, since: SyncCursor | None, limit: int) -> SyncPage:
    """The changes after `since`, oldest first, at most `limit` sessions and `limit` exercises."""
    first_sync = since is None or since.first_sync
    since = since or SyncCursor(sessions=-1, catalog=-1)
    changed = list(
        sessions_with_sets(
            WorkoutSession.objects.for_user(user).filter(change_seq__gt=since.sessions)
        ).order_by("change_seq")[: limit + 1]
    )
    exercises = list(
        Exercise.objects.filter(change_seq__gt=since.catalog)
        .only(
            "slug",
            "name",
            "kind",
            "summary",
            "difficulty",
            "unilateral",
            "published",
            "first_published_at",
            "updated_at",
            "change_seq",
        )
        .order_by("change_seq")[: limit + 1]
    )
    has_more = len(changed) > limit or len(exercises) > limit
    changed, exercises = changed[:limit], exercises[:limit]
    cursor = SyncCursor(
        sessions=changed[-1].change_seq if changed else max(since.sessions, 0),
        catalog=exercises[-1].change_seq if exercises else max(since.catalog, 0),
        first_sync=first_sync and has_more,
    )
    return SyncPage(
        sessions=[s for s in changed if s.deleted_at is None],
        deleted_sessions=[s for s in changed if s.deleted_at is not None],
        exercises=[e for e in exercises if e.published],
        # A first sync has nothing to remove, and a draft that was never published is not
        # for users to see, not even its slug.
        removed_exercises=[]
        if first_sync
        else [e.slug for e in exercises if not e.published and e.first_published_at],
        next_cursor=cursor.encode(),
        has_more=has_more,
    )


@dataclass(frozen=True)
class Adjustment:
    """An exercise of the routine that the advice proposed to swap, and whether it was."""

    position: int
    exercise: Exercise
    suggested: Exercise
    action: str
    reason: str
    painful_side: str | None
    applied: bool


@transaction.atomic
def session_start_from_routine(
    *,
    user: User,
    routine: Routine,
    session_id: UUID | None = None,
    started_at: datetime | None = None,
    keep: frozenset[str] = frozenset(),
) -> tuple[WorkoutSession, list[Adjustment]]:
    """A session planned from the routine as prescribed now, one set per side of each set.

    The plan is copied into the session's sets, so a later edit of the routine leaves the
    session as it was. Where the advice proposes a milder or harder option, the option
    takes the item's place, unless the exercise's slug is in `keep`.
    """
    items = list(routine.items.select_related("exercise"))
    advice = advice_for(user=user, exercise_ids=[item.exercise_id for item in items])
    session = WorkoutSession.objects.create(
        id=session_id or uuid4(),
        user=user,
        started_at=started_at or timezone.now(),
        routine=routine,
        routine_name=routine.name,
        change_seq=next_change_seq(user_scope(user.pk)),
    )
    planned: list[SetLog] = []
    adjustments: list[Adjustment] = []
    for position, item in enumerate(items):
        exercise = item.exercise
        proposal = advice[exercise.pk]
        if proposal.suggested is not None:
            applied = exercise.slug not in keep
            adjustments.append(
                Adjustment(
                    position=position,
                    exercise=exercise,
                    suggested=proposal.suggested,
                    action=proposal.action,
                    reason=proposal.reason,
                    painful_side=proposal.painful_side,
                    applied=applied,
                )
            )
            if applied:
                exercise = proposal.suggested
        sides = ["left", "right"] if exercise.unilateral else ["both"]
        for _ in range(item.sets):
            for side in sides:
                planned.append(
                    SetLog(
                        session=session,
                        position=len(planned),
                        exercise=exercise,
                        side=side,
                        reps=item.reps_per_side,
                        hold_seconds=item.hold_seconds,
                        rest_seconds=item.rest_seconds,
                        notes=item.notes,
                        done=False,
                    )
                )
    SetLog.objects.bulk_create(planned)
    return session, adjustments
