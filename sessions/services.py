"""Writes to workout sessions, each numbered in the owner's change feed, all or nothing."""

import base64
import binascii
import json
import logging
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import Model, Prefetch, Q, QuerySet
from django.utils import timezone
from redis.exceptions import RedisError

from exercises.models import ITEM_DOSE_FIELDS, DeletedExercise, Exercise, Routine, RoutineItem
from exercises.serializers import ExerciseSummarySerializer
from exercises.services import routine_check_usable
from hipflex_api.accounts.models import CoachingLink, User
from hipflex_api.changes.counters import lock_user_changes, next_user_change_seq
from hipflex_api.domain_errors import (
    ConflictError,
    GoneError,
    InvalidInput,
    OverLimit,
    QuotaExceeded,
)
from hipflex_api.fields import columns_of
from hipflex_api.ops.logs import Rarely
from hipflex_api.pagination import rows_within
from hipflex_api.webhooks import services as webhooks
from hipflex_api.webhooks.events import EventType
from hipflex_api.webhooks.serializers import ChangeEventDataSerializer, SessionEventDataSerializer

from . import limits, review
from .adherence import Adherence, ledger, programs_of
from .coaching import Advice, advice_for
from .models import (
    ASSIGNMENT_FIELDS,
    SET_FIELDS,
    Acknowledgement,
    Assignment,
    AssignmentItem,
    Decision,
    ProposalDecision,
    SetLog,
    WorkoutSession,
)
from .plans import assignment_items_prefetch, occurrence_due, times_on
from .serializers import AdherenceSerializer, Row, SetLogSerializer, export_readers
from .stats import week_start

logger = logging.getLogger(__name__)

_Model = TypeVar("_Model", bound=Model)

_SESSION_FIELDS = ("started_at", "ended_at", "notes", "perceived_effort")


def sets_prefetch() -> Prefetch:
    """Sessions' sets with their exercises' slugs, the columns SetLogSerializer reads."""
    sets = SetLog.objects.select_related("exercise").only(
        "session_id", "position", *columns_of(SetLogSerializer), "exercise__slug"
    )
    return Prefetch("sets", queryset=sets)


def sessions_with_sets(queryset: QuerySet[WorkoutSession]) -> QuerySet[WorkoutSession]:
    # One query for all sets of the page and their exercise slugs, not one per session.
    return queryset.prefetch_related(sets_prefetch())


def _write_sets(session: WorkoutSession, sets: list[dict[str, Any]]) -> list[SetLog]:
    return SetLog.objects.bulk_create(
        SetLog(session=session, position=index, **item) for index, item in enumerate(sets)
    )


def _with_rows(instance: _Model, name: str, rows: list[Any]) -> _Model:
    """`instance` as a prefetch of its relation `name` would fetch it, from the rows just
    written: the answer to a write needs no second read of what it saved."""
    prefetched = getattr(instance, name).all()
    prefetched._result_cache = rows
    prefetched._prefetch_done = True
    instance._prefetched_objects_cache = {name: prefetched}  # type: ignore[attr-defined]
    return instance


def _with_sets(session: WorkoutSession, sets: list[SetLog]) -> WorkoutSession:
    """The session as sessions_with_sets would fetch it."""
    return _with_rows(session, "sets", sets)


def _seconds_over_quota(
    rows: QuerySet[WorkoutSession], *, limit: int, window: timedelta, now: datetime
) -> float | None:
    """None while `rows` (the new session among them) hold at most `limit` made in the last
    `window`; else the seconds until the oldest of the newest `limit` leaves the window."""
    blocking = (
        rows.filter(created_at__gt=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[limit : limit + 1]
    )
    oldest = next(iter(blocking), None)
    return None if oldest is None else max((oldest + window - now).total_seconds(), 1)


def _check_quotas(session: WorkoutSession) -> None:
    """Refuse the session just inserted if it takes its account past a quota; the caller's
    atomic block then takes it back. Counted after the insert, so that a retry of a stored
    session meets the stored one (the insert's clash) before any quota, and after the user's
    change counter was locked, so that concurrent uploads count each other."""
    own = WorkoutSession.objects.filter(user_id=session.user_id)
    now = session.created_at
    day = settings.MAX_SESSIONS_PER_DAY
    if wait := _seconds_over_quota(own, limit=day, window=timedelta(days=1), now=now):
        raise QuotaExceeded(
            f"This account stored {day} sessions in the last 24 hours, the most it may "
            "(MAX_SESSIONS_PER_DAY); nothing was saved.",
            wait=wait,
        )
    if session.routine_id is None and session.assignment_id is None:
        return
    hour = settings.MAX_ROUTINE_STARTS_PER_HOUR
    starts = own.filter(Q(routine__isnull=False) | Q(assignment__isnull=False))
    if wait := _seconds_over_quota(starts, limit=hour, window=timedelta(hours=1), now=now):
        raise QuotaExceeded(
            f"This account started {hour} routines in the last hour, the most it may "
            "(MAX_ROUTINE_STARTS_PER_HOUR); nothing was saved.",
            wait=wait,
        )


class SessionIdTaken(ConflictError):
    """Another user's session has the id a client chose."""


class SessionDeleted(GoneError):
    """The session a client names by its id was deleted."""


def session_for_retry(*, user: User, session_id: UUID) -> WorkoutSession | None:
    """The session a retried upload or start names by its id, if it is already stored.

    Another user's id is a conflict (the client must pick a new one) and a deleted one is
    gone: neither may be answered as if the retry had worked.
    """
    session = sessions_with_sets(WorkoutSession.objects.filter(pk=session_id)).first()
    if session is None:
        return None
    if session.user_id != user.pk:
        raise SessionIdTaken("This id is taken; let the server choose one, or pick a new UUID.")
    if session.deleted_at is not None:
        raise SessionDeleted("A session with this id was deleted.")
    return session


def session_check_replayable(*, user: User, session_id: UUID | str) -> None:
    """The session an upload's Idempotency-Key created may be answered for again only while
    it stands: deleted since (or removed in the admin), it is gone."""
    if not WorkoutSession.objects.for_user(user).live().filter(pk=session_id).exists():
        raise SessionDeleted("A session with this id was deleted.")


@transaction.atomic
def session_create(
    *, user: User, data: dict[str, Any], session_id: UUID | None = None
) -> WorkoutSession:
    """Create a session with its sets, ready to serialize without another query.

    A clash on the id raises IntegrityError for the caller.
    """
    fields = {key: data[key] for key in _SESSION_FIELDS if key in data}
    session = WorkoutSession.objects.create(
        id=session_id or data.get("id") or uuid4(),
        user=user,
        change_seq=next_user_change_seq(user.pk),
        **fields,
    )
    _check_quotas(session)
    _tell(session, EventType.SESSION_CREATED)
    written = _write_sets(session, data.get("sets", []))
    _tell_pain(session, written)
    return _with_sets(session, written)


@transaction.atomic
def session_update(*, session: WorkoutSession, data: dict[str, Any]) -> WorkoutSession:
    """Apply a PUT or PATCH: the fields given, and the sets if given (they replace the old)."""
    for key in _SESSION_FIELDS:
        if key in data:
            setattr(session, key, data[key])
    session.version += 1
    session.change_seq = next_user_change_seq(session.user_id)
    session.save()
    _tell(session, EventType.SESSION_UPDATED)
    if "sets" in data:
        stored = list(session.sets.all())  # As the view fetched them, or one query.
        session.sets.all().delete()
        written = _write_sets(session, data["sets"])
        _with_sets(session, written)
        _tell_pain(session, written, before=stored)
    return session


_SET_KEY = tuple(
    field.attname for field in SetLog._meta.concrete_fields if field.name in SET_FIELDS
)


def _set_key(item: SetLog) -> tuple[Any, ...]:
    return tuple(getattr(item, name) for name in _SET_KEY)


def session_matches(*, session: WorkoutSession, data: dict[str, Any]) -> bool:
    """Whether applying `data` would leave the session exactly as it is."""
    if any(key in data and getattr(session, key) != data[key] for key in _SESSION_FIELDS):
        return False
    if "sets" not in data:
        return True
    # Sets built as _write_sets builds them, so that what a field left out would be is the
    # model's default, the same as when it was stored.
    stored = [_set_key(item) for item in session.sets.all()]
    return stored == [_set_key(SetLog(**item)) for item in data["sets"]]


@transaction.atomic
def session_delete(*, session: WorkoutSession) -> None:
    """Replace the session with a tombstone that sync hands to the owner's other devices."""
    session.sets.all().delete()
    session.deleted_at = timezone.now()
    session.notes = ""
    session.perceived_effort = None
    session.version += 1
    session.change_seq = next_user_change_seq(session.user_id)
    session.save()
    _tell(session, EventType.SESSION_DELETED)


def _tell(session: WorkoutSession, kind: EventType) -> None:
    """The person's webhook endpoints hear of the change once it commits."""
    webhooks.emit(user_id=session.user_id, type=kind, data=SessionEventDataSerializer(session).data)


def _painful(sets: Sequence[SetLog]) -> Counter[tuple[str, str, int]]:
    # The review queue's threshold: pain that would flag the client to a trainer.
    threshold = settings.REVIEW["PAIN_THRESHOLD"]
    return Counter((s.exercise.slug, s.side, s.pain) for s in sets if s.pain >= threshold)


def _tell_pain(
    session: WorkoutSession, written: Sequence[SetLog], before: Sequence[SetLog] = ()
) -> None:
    """`pain.reported`, when the sets saved hold pain at or above the threshold that the
    session did not hold before: a changed note or effort on a painful session, or a retry
    that replaces its sets with the same ones, reports nothing again."""
    new = _painful(written) - _painful(before)
    if not new:
        return
    sets = [{"exercise": e, "side": side, "pain": pain} for e, side, pain in sorted(new.elements())]
    data = {**SessionEventDataSerializer(session).data, "sets": sets}
    webhooks.emit(user_id=session.user_id, type=EventType.PAIN_REPORTED, data=data)


def export_coaching(*, user: User) -> dict[str, Any]:
    """The account's links, both ways, and the programs prescribed to it, for its export."""
    return {
        "trainers": CoachingLink.objects.filter(client=user).select_related("trainer"),
        "clients": CoachingLink.objects.for_trainer(user).select_related("client"),
        "assignments": Assignment.objects.filter(client=user)
        .select_related("link__trainer")
        .prefetch_related(assignment_items_prefetch()),
    }


EXPORT_CHUNK_SIZE = 500
# The longest one export may keep its account's slot: far past the time a large account's
# export takes, and what frees the slot if the process streaming it dies.
EXPORT_SLOT_SECONDS = 10 * 60


class ExportRunning(QuotaExceeded):
    """An export of the account is still being sent: one at a time, so that one account
    cannot hold every server process with exports."""

    code = "throttled"


class ExportSlot:
    """The account's one export slot, taken when made, around the export's body: the server
    closes the streaming answer when it ends, sent whole or cut off, even if it never
    started, and that gives the slot back. While the counters' store is down the export is
    sent without a slot: a person's own data is not held back by an outage of a limit."""

    def __init__(self, user: User, body: Iterator[bytes]) -> None:
        self._body = body
        self._cache = caches[settings.COUNTERS_CACHE]
        self._key, self._token = f"export:{user.pk}", uuid4().hex
        try:
            taken = self._cache.add(self._key, self._token, EXPORT_SLOT_SECONDS)
        except RedisError as exc:
            _no_slot.warning("Exports go without their slot: the counters store failed: %s", exc)
            self._key = ""
            return
        if not taken:
            raise ExportRunning(
                "An export of this account is being sent; one runs at a time. Retry once it "
                "has ended.",
                wait=_EXPORT_RETRY_SECONDS,
            )

    def __iter__(self) -> Iterator[bytes]:
        return self._body

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()
        if not self._key:
            return
        try:
            # Only its own: a slot that expired may be another export's by now.
            if self._cache.get(self._key) == self._token:
                self._cache.delete(self._key)
        except RedisError as exc:  # It expires by itself.
            _no_slot.warning("An export's slot was left to expire: %s", exc)


_EXPORT_RETRY_SECONDS = 10
_no_slot = Rarely(logger)


def session_export_chunks(*, user: User, size: int = EXPORT_CHUNK_SIZE) -> Iterator[list[Row]]:
    """The account's live sessions, newest first (the model's order), as rows of the columns
    the export reads with their sets' rows under `sets`, `size` at a time: two queries a chunk
    (the sessions, then their sets), and one chunk in memory."""
    session_keys, _, set_keys = export_readers()
    live = WorkoutSession.objects.for_user(user).live().order_by("-started_at", "-id")
    after = Q()
    while True:
        chunk = list(live.filter(after).values(*session_keys)[:size])
        if not chunk:
            return
        sets: dict[UUID, list[Row]] = {row["id"]: [] for row in chunk}
        for item in (
            SetLog.objects.filter(session_id__in=sets)
            .order_by("session_id", "position")
            .values("session_id", *set_keys)
        ):
            sets[item.pop("session_id")].append(item)
        for row in chunk:
            row["sets"] = sets[row["id"]]
        last, full = chunk[-1], len(chunk) == size
        yield chunk
        del chunk, sets  # Read the next one with this one gone: one chunk in memory, not two.
        if not full:
            return
        after = export_after(last["started_at"], last["id"])


def export_after(started_at: datetime, pk: UUID) -> Q:
    """The sessions after (`-started_at`, `-id`) this one: where the next export chunk starts.

    Keyset, not OFFSET: each chunk starts where the last one ended, down the index
    session_user_started_idx, so the last chunk costs what the first does (an OFFSET reads
    and skips every session before it), and a session added or deleted meanwhile cannot shift
    the rest (one skipped, or sent twice). `started_at <=` bounds the index scan, which the OR
    alone would only filter."""
    return Q(started_at__lte=started_at) & (
        Q(started_at__lt=started_at) | Q(started_at=started_at, id__lt=pk)
    )


_MAX_CHANGE_SEQ = 2**63 - 1  # The largest number a BigIntegerField holds.


class InvalidCursor(InvalidInput):
    """`since` is no cursor this server handed out."""

    def __init__(self) -> None:
        super().__init__("Not a cursor this server handed out.", field="since")


@dataclass(frozen=True)
class SyncCursor:
    """How far a device has read: the last change number of its user's logs and of the catalog."""

    sessions: int = 0
    catalog: int = 0

    def encode(self) -> str:
        raw = json.dumps({"s": self.sessions, "c": self.catalog}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> "SyncCursor":
        # Longer than any cursor this server writes: refused unread, so that a crafted one
        # (JSON nested a thousand deep, say) costs no more than a glance.
        if len(value) > _MAX_CURSOR_LENGTH:
            raise InvalidCursor
        try:
            data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursor from exc
        # Exactly what encode() writes: an object of the two change numbers.
        if not isinstance(data, dict) or set(data) != {"s", "c"}:
            raise InvalidCursor
        if not all(_is_change_seq(data[key]) for key in ("s", "c")):
            raise InvalidCursor
        return cls(sessions=data["s"], catalog=data["c"])


def _is_change_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_CHANGE_SEQ


# The longest cursor encode() writes, with the padding a client may add back.
_MAX_CURSOR_LENGTH = len(SyncCursor(_MAX_CHANGE_SEQ, _MAX_CHANGE_SEQ).encode()) + 2


@dataclass
class SyncPage:
    sessions: list[WorkoutSession]
    deleted_sessions: list[WorkoutSession]
    assignments: list[Assignment]
    deleted_assignments: list[Assignment]
    exercises: list[Exercise]
    removed_exercises: list[str]
    next_cursor: str
    has_more: bool


def _catalog_changes(since: int, limit: int) -> list[Exercise | DeletedExercise]:
    """Exercises saved and deleted after `since`, in change order, at most `limit` + 1."""
    saved = (
        Exercise.objects.filter(change_seq__gt=since)
        .only(*columns_of(ExerciseSummarySerializer), "first_published_at", "change_seq")
        .order_by("change_seq")[: limit + 1]
    )
    deleted = DeletedExercise.objects.filter(change_seq__gt=since).order_by("change_seq")
    return sorted([*saved, *deleted[: limit + 1]], key=lambda change: change.change_seq)[
        : limit + 1
    ]


def _own_changes(user: User, since: int, limit: int) -> list[WorkoutSession | Assignment]:
    """The user's sessions and the programs assigned to them changed after `since`, in
    change order (they share the user's change numbers), at most `limit` + 1."""
    sessions = sessions_with_sets(
        WorkoutSession.objects.for_user(user).filter(change_seq__gt=since)
    ).order_by("change_seq")[: limit + 1]
    assignments = (
        Assignment.objects.filter(client=user, change_seq__gt=since)
        .select_related("link__trainer")  # The trainer's name.
        .prefetch_related(assignment_items_prefetch())
        .order_by("change_seq")[: limit + 1]
    )
    changes: list[WorkoutSession | Assignment] = [*sessions, *assignments]
    return sorted(changes, key=lambda change: change.change_seq)[: limit + 1]


def _change_bytes(change: WorkoutSession | Assignment) -> int:
    if isinstance(change, Assignment):
        return limits.assignment_bytes(change)
    return limits.session_bytes(change)


def sync_page(*, user: User, since: SyncCursor | None, limit: int) -> SyncPage:
    """The changes after `since`, oldest first: at most `limit` sessions and `limit` catalog
    changes. Without `since`, everything."""
    since = since or SyncCursor(sessions=-1, catalog=-1)
    changed = _own_changes(user, since.sessions, limit)
    catalog = _catalog_changes(since.catalog, limit)
    fitting = rows_within(changed[:limit], _change_bytes, limits.PAGE_BYTES)
    has_more = len(changed) > fitting or len(catalog) > limit
    changed, catalog = changed[:fitting], catalog[:limit]
    cursor = SyncCursor(
        sessions=changed[-1].change_seq if changed else max(since.sessions, 0),
        catalog=catalog[-1].change_seq if catalog else max(since.catalog, 0),
    )
    live = [e for e in catalog if isinstance(e, Exercise) and e.published]
    live_slugs = {e.slug for e in live}
    # Gone from the apps: unpublished or deleted. A draft that was never published is not
    # named, so that its slug stays the trainers' business.
    removed = [
        e.slug
        for e in catalog
        if e.slug not in live_slugs
        and (isinstance(e, DeletedExercise) or (not e.published and e.first_published_at))
    ]
    sessions = [s for s in changed if isinstance(s, WorkoutSession)]
    assignments = [a for a in changed if isinstance(a, Assignment)]
    return SyncPage(
        sessions=[s for s in sessions if s.deleted_at is None],
        deleted_sessions=[s for s in sessions if s.deleted_at is not None],
        assignments=[a for a in assignments if a.deleted_at is None],
        deleted_assignments=[a for a in assignments if a.deleted_at is not None],
        exercises=live,
        removed_exercises=list(dict.fromkeys(removed)),
        next_cursor=cursor.encode(),
        has_more=has_more,
    )


@dataclass(frozen=True)
class Adjustment:
    """What the advice proposed for one item of the routine, and whether the session took it."""

    position: int
    exercise: Exercise
    suggested: Exercise | None
    action: str
    reason: str
    painful_side: str | None
    applied: bool


class UnknownSlugs(InvalidInput):
    """`keep` or `accept` names exercises that the routine does not hold."""

    def __init__(self, field: str, slugs: list[str]) -> None:
        super().__init__(f"Not in this routine: {', '.join(slugs)}.", field=field)


def _plan_item(
    item: RoutineItem | AssignmentItem,
    proposal: Advice,
    *,
    position: int,
    keep: Collection[str],
    accept: Collection[str],
) -> tuple[Exercise, Adjustment | None]:
    """The exercise a routine item is done with, and what the advice proposed for it: a
    milder option takes its place unless kept, a harder one only when accepted."""
    exercise = item.exercise
    if proposal.action == "keep":
        return exercise, None
    if proposal.action == "harder":
        applied = proposal.suggested is not None and exercise.slug in accept
    else:
        applied = proposal.suggested is not None and exercise.slug not in keep
    adjustment = Adjustment(
        position=position,
        exercise=exercise,
        suggested=proposal.suggested,
        action=proposal.action,
        reason=proposal.reason,
        painful_side=proposal.painful_side,
        applied=applied,
    )
    return (proposal.suggested if applied and proposal.suggested else exercise), adjustment


def _planned_sets(
    session: WorkoutSession, item: RoutineItem | AssignmentItem, exercise: Exercise
) -> list[SetLog]:
    """The item's sets, not done yet: each set once per side of a one-sided exercise."""
    sides = ["left", "right"] if exercise.unilateral else ["both"]
    return [
        SetLog(
            session=session,
            exercise=exercise,
            side=side,
            reps=item.reps_per_side,
            hold_seconds=item.hold_seconds,
            rest_seconds=item.rest_seconds,
            notes=item.notes,
            done=False,
        )
        for _ in range(item.sets)
        for side in sides
    ]


@transaction.atomic
def session_start_from_routine(
    *,
    user: User,
    routine: Routine,
    session_id: UUID | None = None,
    started_at: datetime | None = None,
    keep: Collection[str] = (),
    accept: Collection[str] = (),
) -> tuple[WorkoutSession, list[Adjustment]]:
    """A session planned from the routine as prescribed now, one set per side of each set.

    The plan is copied into the session's sets, so a later edit of the routine leaves the
    session as it was. Where recent sets hurt, the milder option takes the item's place
    unless the item's slug is in `keep`; a harder option is only proposed, and takes the
    place only when the slug is in `accept`. Items whose exercise the user cannot see (a
    draft) are left out.
    """
    # Loaded here, not taken from the caller's prefetch, so that the query and its filter
    # are the same however the routine was fetched.
    items = (
        RoutineItem.objects.filter(routine=routine)
        .visible_to(user)
        .select_related("exercise")
        .order_by("position", "id")
    )
    slugs = {item.exercise.slug for item in items}
    for field, named in (("keep", keep), ("accept", accept)):
        if unknown := sorted(set(named) - slugs):
            raise UnknownSlugs(field, unknown)
    advice = advice_for(user=user, exercise_ids=[item.exercise_id for item in items])
    session = WorkoutSession.objects.create(
        id=session_id or uuid4(),
        user=user,
        started_at=started_at or timezone.now(),
        routine=routine,
        routine_name=routine.name,
        change_seq=next_user_change_seq(user.pk),
    )
    _check_quotas(session)
    planned: list[SetLog] = []
    adjustments: list[Adjustment] = []
    for position, item in enumerate(items):
        exercise, adjustment = _plan_item(
            item, advice[item.exercise_id], position=position, keep=keep, accept=accept
        )
        adjustments += [adjustment] if adjustment else []
        planned += _planned_sets(session, item, exercise)
    _check_planned(planned, "This routine")
    _tell(session, EventType.SESSION_CREATED)
    return _with_sets(session, SetLog.objects.bulk_create(planned)), adjustments


def _check_planned(planned: list[SetLog], what: str) -> None:
    """Number the planned sets, if a session may hold them all."""
    if len(planned) > settings.MAX_SETS_PER_SESSION:  # A routine from before the limit held.
        raise OverLimit(
            f"{what} plans {len(planned)} sets; a session holds at most "
            f"{settings.MAX_SETS_PER_SESSION}. Split it into shorter routines."
        )
    for index, planned_set in enumerate(planned):
        planned_set.position = index


class ProgramNotValid(InvalidInput):
    """An assignment's schedule or items say something it cannot hold."""


def _check_schedule(assignment: Assignment) -> None:
    if assignment.end_date is not None and assignment.end_date < assignment.start_date:
        raise ProgramNotValid("Must not be before start_date.", field="end_date")
    if assignment.end_date is not None and assignment.end_date > limits.PROGRAM_LATEST:
        # A start late in 2199 plus the routine's program_weeks, say.
        raise ProgramNotValid(f"Must be {limits.PROGRAM_LATEST} at the latest.", field="end_date")


class LinkEnded(ConflictError):
    """The client, or the trainer elsewhere, ended the link while a program was prescribed."""


def _dose_changes(
    items: Mapping[int, AssignmentItem | RoutineItem], changes: list[dict[str, Any]]
) -> None:
    """Apply the trainer's dose changes, each naming an item by its position, in place."""
    for index, change in enumerate(changes):
        item = items.get(change["position"])
        if item is None:
            raise ProgramNotValid(
                f"No item of this program is at position {change['position']}; the positions "
                f"are {', '.join(map(str, sorted(items)))}.",
                field=f"items.{index}.position",
            )
        for name in ITEM_DOSE_FIELDS:
            if name in change:
                setattr(item, name, change[name])
        if item.reps_per_side is None and item.hold_seconds is None:
            raise ProgramNotValid(
                "Give reps_per_side, hold_seconds, or both: a set needs one of them.",
                field=f"items.{index}",
            )
    planned = sum(i.sets * (2 if i.exercise.unilateral else 1) for i in items.values())
    if planned > settings.MAX_SETS_PER_SESSION:
        raise OverLimit(
            f"This program would plan {planned} sets a session; a session holds at most "
            f"{settings.MAX_SETS_PER_SESSION} (`MAX_SETS_PER_SESSION`). Prescribe fewer sets."
        )


def _check_assignments_quota(client_id: int) -> None:
    """Counted with the client's change counter locked: concurrent assignments count each
    other."""
    most = settings.MAX_ASSIGNMENTS_PER_CLIENT
    if Assignment.objects.live().filter(client_id=client_id).count() >= most:
        raise OverLimit(
            f"This client has {most} programs already (`MAX_ASSIGNMENTS_PER_CLIENT`), as many "
            "as they may: end one first."
        )


@transaction.atomic
def assignment_create(*, link: CoachingLink, routine: Routine, data: dict[str, Any]) -> Assignment:
    """Prescribe the routine to the link's client: its items the client can see, copied with
    their dose and the changes in `data["items"]`, on the schedule in `data`."""
    routine = routine_check_usable(routine=routine)
    # The client's counter, then the link, as ending the link takes them: a link ended
    # meanwhile gets no program, and one ending now waits for this one, then ends it too.
    change_seq = next_user_change_seq(link.client_id)
    if not CoachingLink.objects.select_for_update().filter(pk=link.pk, ended_at=None).exists():
        raise LinkEnded("This client stopped sharing their log with you; nothing was saved.")
    _check_assignments_quota(link.client_id)
    items = {
        item.position: item
        for item in RoutineItem.objects.filter(routine=routine, exercise__published=True)
        .select_related("exercise")
        .order_by("position")
    }
    if not items:
        raise ProgramNotValid(
            "This routine has no published exercise to prescribe.", field="routine"
        )
    _dose_changes(items, data.get("items", []))
    assignment = Assignment(
        client_id=link.client_id,
        link=link,
        routine=routine,
        name=routine.name,
        change_seq=change_seq,
        **{key: data[key] for key in ASSIGNMENT_FIELDS if key in data},
    )
    if "end_date" not in data and routine.program_weeks:  # The routine's own length.
        assignment.end_date = assignment.start_date + timedelta(
            weeks=routine.program_weeks, days=-1
        )
    _check_schedule(assignment)
    assignment.save()
    copies = AssignmentItem.objects.bulk_create(
        AssignmentItem(
            assignment=assignment,
            position=position,
            exercise=item.exercise,
            **{name: getattr(item, name) for name in ITEM_DOSE_FIELDS},
        )
        for position, item in items.items()
    )
    _tell_program(assignment, EventType.ASSIGNMENT_CREATED)
    return _with_items(assignment, copies)


def _tell_program(assignment: Assignment, kind: EventType) -> None:
    """The client's webhook endpoints, and their apps', hear of it once it commits."""
    data = ChangeEventDataSerializer(assignment).data
    webhooks.emit(user_id=assignment.client_id, type=kind, data=data)


def _with_items(assignment: Assignment, items: list[AssignmentItem]) -> Assignment:
    """The assignment as assignment_items_prefetch would fetch it."""
    return _with_rows(assignment, "items", sorted(items, key=lambda item: item.position))


def _keep_schedule(assignment: Assignment, before: tuple[int, int], today: date) -> None:
    """The schedule that held until today, for adherence and past plans; changed twice in
    a day, the days before still had the first."""
    if assignment.start_date >= today:
        return  # Nothing was due under it yet.
    if not assignment.schedules or assignment.schedules[-1][0] != str(today):
        assignment.schedules = [*assignment.schedules, [str(today), *before]]


def _pause(assignment: Assignment, paused: bool, today: date) -> None:
    """Pause from today, or resume: the days paused are kept, for adherence to skip."""
    if paused and assignment.paused_from is None:
        assignment.paused_from = today
    elif not paused and assignment.paused_from is not None:
        if assignment.paused_from < today:
            assignment.pauses = [*assignment.pauses, [str(assignment.paused_from), str(today)]]
        assignment.paused_from = None


def assignment_for_change(*, link: CoachingLink, assignment_id: Any) -> Assignment | None:
    """The link's live assignment of this id, locked for a change, in the caller's
    transaction. The client's change counter is locked first, as every write to the client's
    data and the deletion of their account lock it: otherwise a change and a deletion could
    each hold the lock the other waits for."""
    lock_user_changes(link.client_id)
    programs = Assignment.objects.for_link(link).select_related("link__trainer")
    return (
        programs.prefetch_related(assignment_items_prefetch())
        .select_for_update(of=("self",))
        .filter(pk=assignment_id)
        .first()
    )


@transaction.atomic
def assignment_update(*, assignment: Assignment, data: dict[str, Any]) -> Assignment:
    """Change the schedule, the note, the items' dose, or pause or resume it (`paused`)."""
    assignment.change_seq = next_user_change_seq(assignment.client_id)
    today = client_today(assignment.client)
    before = (assignment.weekdays, assignment.times_per_day)
    for key in ASSIGNMENT_FIELDS:
        if key in data:
            setattr(assignment, key, data[key])
    _check_schedule(assignment)
    if (assignment.weekdays, assignment.times_per_day) != before:
        _keep_schedule(assignment, before, today)
    if "paused" in data:
        _pause(assignment, data["paused"], today)
    items = {item.position: item for item in assignment.items.all()}
    changes = data.get("items", [])
    _dose_changes(items, changes)
    if changed := {change["position"] for change in changes}:
        AssignmentItem.objects.bulk_update(
            [items[position] for position in changed], fields=list(ITEM_DOSE_FIELDS)
        )
    assignment.version += 1
    assignment.save()
    _tell_program(assignment, EventType.ASSIGNMENT_CHANGED)
    return assignment


@transaction.atomic
def assignment_end(*, assignment: Assignment, tell: bool = True) -> None:
    """Replace the assignment with a tombstone that sync hands to the client's devices. The
    sessions done for it keep its id, and its items stay: what it asked until it ended still
    counts for adherence. `tell` False keeps it from the client's webhooks: their account is
    going in the same deletion, its events with it."""
    assignment.change_seq = next_user_change_seq(assignment.client_id)
    assignment.deleted_at = timezone.now()
    assignment.note = ""
    assignment.version += 1
    assignment.save()
    if tell:
        _tell_program(assignment, EventType.ASSIGNMENT_CHANGED)


def assignments_end_with_link(*, link: CoachingLink, tell: bool = True, **_: Any) -> None:
    """What was prescribed through a link ends with it (accounts' link_ended, sent in the
    transaction that ends the link, or the link's deletion). The client's counter before the
    programs' rows, in the order of a trainer's change."""
    lock_user_changes(link.client_id)
    for assignment in Assignment.objects.for_link(link).select_for_update():
        assignment_end(assignment=assignment, tell=tell)


def client_today(user: User, now: datetime | None = None) -> date:
    """The user's date now, or at `now`, in their time zone."""
    return (now or timezone.now()).astimezone(ZoneInfo(user.time_zone)).date()


def _last_sunday(day: date) -> date:
    """The Sunday that ended the last whole week before `day` (on a Monday, yesterday)."""
    return week_start(day) - timedelta(days=1)


# Programs read at a time by adherence_tell_weekly: a bound on a run's memory, not its work.
WEEKLY_BATCH = 500


def adherence_tell_weekly(*, now: datetime | None = None) -> int:
    """`adherence.weekly` for each program whose client's last week (Monday to Sunday, in
    their time zone) ended since it was last told and asked something of them: the times
    due and done, and the sets, as `/me/stats/` counts them. Each program's week is claimed
    before it is told, so that a run twice at once tells it once; a week missed (no beat
    ran) is not told late, only the last one. Answers the number told."""
    now = now or timezone.now()
    # No client's last Sunday is later than this one (no zone is over a day ahead of UTC):
    # a program told through it owes nothing.
    latest = _last_sunday(now.astimezone(ZoneInfo("UTC")).date() + timedelta(days=1))
    due = (
        Assignment.objects.filter(_owed(latest), start_date__lte=latest)
        # An ended program has one last week at most to tell, and then none.
        .exclude(end_date__lt=latest - timedelta(days=13))
        .exclude(deleted_at__lt=now - timedelta(days=15))
        .select_related("client", "link")
        .order_by("pk")
    )
    told, after = 0, None
    while batch := list((due.filter(pk__gt=after) if after else due)[:WEEKLY_BATCH]):
        told += _tell_weeks(batch, now)
        after = batch[-1].pk
    return told


def _owed(sunday: date) -> Q:
    """Programs not yet told the week that ends on `sunday`."""
    return Q(adherence_told_until__isnull=True) | Q(adherence_told_until__lt=sunday)


def _tell_weeks(batch: list[Assignment], now: datetime) -> int:
    weeks = {a.pk: _last_sunday(client_today(a.client, now)) for a in batch}
    owed = [
        a for a in batch if a.adherence_told_until is None or a.adherence_told_until < weeks[a.pk]
    ]
    if not owed:
        return 0
    programs = programs_of(
        Assignment.objects.filter(pk__in=[a.pk for a in owed]).select_related("link")
    )
    book = ledger(
        assignments=programs,
        today={a.client_id: client_today(a.client, now) for a in programs},
        first=min(weeks[a.pk] for a in programs) - timedelta(days=6),
        last=max(weeks[a.pk] for a in programs),
    )
    told = 0
    for program in programs:
        sunday = weeks[program.pk]
        week = book.adherence(
            program.client_id, sunday - timedelta(days=6), sunday, program=program
        )
        told += _tell_week(program, sunday, week)
    return told


@transaction.atomic
def _tell_week(program: Assignment, sunday: date, week: Adherence) -> int:
    """Claim the program's week, and tell it if anything was due: to the client's endpoints
    and apps, and to the trainer's own while they still share."""
    claimed = Assignment.objects.filter(_owed(sunday), pk=program.pk).update(
        adherence_told_until=sunday
    )
    if not claimed or not week.occurrences_planned:
        return 0
    data: dict[str, Any] = {"assignment": str(program.pk)}
    trainer: list[int] = []
    if (link := program.link) and link.ended_at is None and link.trainer_id:
        trainer, data["client"] = [link.trainer_id], str(link.pk)
    data["adherence"] = AdherenceSerializer(week).data
    webhooks.emit(
        user_id=program.client_id, type=EventType.ADHERENCE_WEEKLY, data=data, people=trainer
    )
    return 1


class OccurrenceDone(ConflictError):
    """Every time the assignment is due that day has a session already."""

    code = "occurrence_done"


class NotDue(InvalidInput):
    """The assignment asks for nothing on the day named."""


def _occurrence(assignment: Assignment, day: date, number: int | None) -> int:
    """The time of `day` a new session fulfils: `number`, or the first without a session."""
    if not occurrence_due(assignment, day):
        raise NotDue(f"Nothing of this program is due on {day}.", field="date")
    times = times_on(assignment, day)
    if number is not None and number > times:
        raise NotDue(
            f"This program is done {times} times on {day}; give 1 to {times}.",
            field="occurrence",
        )
    taken = set(
        WorkoutSession.objects.live()
        .filter(assignment=assignment, occurrence_date=day)
        .values_list("occurrence", flat=True)
    )
    free = [n for n in range(1, times + 1) if n not in taken]
    if number is None and not free:
        raise OccurrenceDone(
            f"Every time this program is due on {day} has a session already: open one of "
            "them, or delete it to start again."
        )
    if number is not None and number in taken:
        raise OccurrenceDone(
            f"Time {number} of this program on {day} has a session already: open it, or "
            "delete it to start again."
        )
    return free[0] if number is None else number


@transaction.atomic
def session_start_from_assignment(
    *,
    user: User,
    assignment: Assignment,
    session_id: UUID | None = None,
    started_at: datetime | None = None,
    day: date | None = None,
    occurrence: int | None = None,
) -> tuple[WorkoutSession, list[Adjustment]]:
    """A session planned from the assignment's items as the trainer prescribed them, for one
    occurrence: of `day` (by default the day `started_at` falls on in the client's time
    zone) and its first time without a session unless `occurrence` names one. The advice is
    reported, never applied: what to change is the trainer's call."""
    started_at = started_at or timezone.now()
    local = started_at.astimezone(ZoneInfo(user.time_zone)).date()
    # A day's time, done on that day (or across its midnight): not a missed week filled in.
    if day is not None and abs((day - local).days) > 1:
        raise NotDue(
            f"Must be within a day of {local}, the day the session starts where you are.",
            field="date",
        )
    day = day or local
    # The counter first: concurrent starts of one assignment take turns choosing the time.
    change_seq = next_user_change_seq(user.pk)
    number = _occurrence(assignment, day, occurrence)
    session = WorkoutSession.objects.create(
        id=session_id or uuid4(),
        user=user,
        started_at=started_at,
        routine_name=assignment.name,
        assignment=assignment,
        occurrence_date=day,
        occurrence=number,
        change_seq=change_seq,
    )
    _check_quotas(session)
    items = list(assignment.items.select_related("exercise").order_by("position"))
    advice = advice_for(user=user, exercise_ids=[item.exercise_id for item in items])
    slugs = {item.exercise.slug for item in items}
    planned: list[SetLog] = []
    adjustments: list[Adjustment] = []
    for position, item in enumerate(items):
        exercise, adjustment = _plan_item(
            item, advice[item.exercise_id], position=position, keep=slugs, accept=()
        )
        adjustments += [adjustment] if adjustment else []
        planned += _planned_sets(session, item, exercise)
    _check_planned(planned, "This program")
    _tell(session, EventType.SESSION_CREATED)
    return _with_sets(session, SetLog.objects.bulk_create(planned)), adjustments


@transaction.atomic
def review_acknowledge(*, link: CoachingLink, reason: str, note: str = "") -> Acknowledgement:
    """The trainer saw the flag: it stays away until something new happens."""
    lock_user_changes(link.trainer_id)  # A new version of the trainer's queue.
    acknowledgement, _ = Acknowledgement.objects.update_or_create(
        link=link, reason=reason, defaults={"note": note, "acknowledged_at": timezone.now()}
    )
    return acknowledgement


class ProposalGone(ConflictError):
    """What the trainer decides on is not proposed (any longer)."""


@transaction.atomic
def proposal_decide(
    *, link: CoachingLink, assignment_id: UUID, position: int, suggested: str, accept: bool
) -> Assignment:
    """Accept a proposed change (the program's item takes the suggested exercise, with its
    dose, and its devices hear of it) or decline it; either way, recorded. A retry of a
    decision already made (its answer lost) answers as the first did."""
    # Locked before the proposals are worked out, in the order of the trainer's account
    # deletion: the trainer's counter (a new version of their queue; two decisions take
    # turns), then to swap an item, the client's and the program's row, as a change takes
    # them.
    lock_user_changes(link.trainer_id)
    programs, change_seq = Assignment.objects.for_link(link), 0
    if accept:
        change_seq = next_user_change_seq(link.client_id)
        programs = programs.select_for_update()
    assignment = programs.filter(pk=assignment_id).first()
    if assignment is None:
        raise ProposalGone("No program of this client has this id.")
    decision = Decision.ACCEPTED if accept else Decision.DECLINED
    standing = review.with_last_session(CoachingLink.objects.filter(pk=link.pk)).get()
    proposal = next(
        (
            p
            for p in review.summaries(links=[standing])[link.pk].proposals
            if p.assignment.pk == assignment_id
            and p.item.position == position
            and p.suggested.slug == suggested
        ),
        None,
    )
    if proposal is None:
        if _decided_already(assignment, position, suggested, decision):
            return assignment
        raise ProposalGone(
            "This change is not proposed now: the client's sessions since changed it, or it "
            "was decided otherwise. List the proposals again."
        )
    ProposalDecision.objects.create(
        assignment=assignment,
        position=position,
        exercise_id=proposal.item.exercise_id,
        suggested=proposal.suggested,
        kind=proposal.kind,
        decision=decision,
        decided_at=timezone.now(),
    )
    if accept:
        AssignmentItem.objects.filter(pk=proposal.item.pk).update(exercise=proposal.suggested)
        assignment.change_seq = change_seq
        assignment.version += 1
        assignment.save()
        _tell_program(assignment, EventType.ASSIGNMENT_CHANGED)
    return assignment


def _decided_already(assignment: Assignment, position: int, suggested: str, decision: str) -> bool:
    """Whether the last decision on this item was this one, on this exercise, and the item
    still shows it (an accepted swap holds the suggested exercise)."""
    last = assignment.decisions.filter(position=position).select_related("suggested").last()
    if last is None or last.decision != decision or last.suggested.slug != suggested:
        return False
    item = assignment.items.filter(position=position).first()
    holds = item is not None and item.exercise_id == last.suggested_id
    return holds if decision == Decision.ACCEPTED else not holds
