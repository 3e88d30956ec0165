"""Adherence: the times programs were due against the times they were done, and per exercise
and side the sets planned against the sets done, in each client's time zone (a late-evening
session counts for that local day). A day counts once it is over; today counts only what is
done already, so that adherence does not drop each morning. Doses are today's: a changed dose
counts for the whole period.

Read for many clients at once in a fixed number of queries: their programs and items, the
times done, and the sets done.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from exercises.models import Exercise

from .models import Assignment, SetLog, WorkoutSession
from .plans import assignment_items_prefetch, times_on


@dataclass(frozen=True)
class SideCount:
    exercise: Exercise
    side: str
    sets_planned: int
    sets_done: int

    @property
    def rate(self) -> float | None:
        return _rate(self.sets_done, self.sets_planned)


@dataclass(frozen=True)
class Adherence:
    start: date
    end: date
    occurrences_planned: int
    occurrences_done: int
    exercises: list[SideCount]
    # The days of the times missed, oldest first.
    missed: list[date]
    # The times missed in a row up to the latest one that counts, and the day they began.
    missed_in_a_row: int
    missed_since: date | None

    @property
    def rate(self) -> float | None:
        return _rate(self.occurrences_done, self.occurrences_planned)


def _rate(done: int, planned: int) -> float | None:
    return round(done / planned, 3) if planned else None


def _sides(exercise: Exercise) -> tuple[str, ...]:
    return ("left", "right") if exercise.unilateral else ("both",)


@dataclass
class _Tally:
    planned: int = 0
    done: int = 0
    sets: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    # Each time that counts, newest last: (day, time of day, done).
    times: list[tuple[date, int, bool]] = field(default_factory=list)

    def add_sets(self, exercise: Exercise, side: str, planned: int, done: int) -> None:
        counts = self.sets.setdefault((exercise.pk, side), [0, 0])
        counts[0] += planned
        counts[1] += min(done, planned)  # Extra sets of one do not make up for another.


@dataclass(frozen=True)
class Ledger:
    """What the programs of some clients asked and what was done, read once for all of them
    over the days the ledger was made for."""

    assignments: dict[int, list[Assignment]]
    today: dict[int, date]
    times_done: set[tuple[UUID, date, int]]
    # Per time with a session: its sets planned and done, by exercise and side.
    sets: dict[tuple[UUID, date, int], dict[tuple[int, str], tuple[int, int]]]
    exercises: dict[int, Exercise]  # Every exercise the programs and sessions name.

    def adherence(
        self,
        client_id: int,
        first: date,
        last: date | None = None,
        *,
        program: Assignment | None = None,
    ) -> Adherence:
        """The client's adherence from `first` to `last` (by default their today), which the
        ledger's days must hold: of all their programs in the ledger, or of `program`."""
        today = self.today[client_id]
        last = today if last is None else min(last, today)
        programs = [program] if program is not None else self.assignments.get(client_id, [])
        tally = _Tally()
        for assignment in programs:
            self._tally(tally, assignment, first, last, today)
        exercises = self.exercises
        counts = [
            SideCount(exercises[exercise_id], side, planned, done)
            for (exercise_id, side), (planned, done) in sorted(
                tally.sets.items(), key=lambda entry: (exercises[entry[0][0]].name, entry[0][1])
            )
        ]
        times = sorted(tally.times)
        in_a_row = next((n for n, (_, _, done) in enumerate(reversed(times)) if done), len(times))
        return Adherence(
            first,
            last,
            tally.planned,
            tally.done,
            counts,
            missed=[day for day, _, done in times if not done],
            missed_in_a_row=in_a_row,
            missed_since=times[-in_a_row][0] if in_a_row else None,
        )

    def _tally(
        self, tally: _Tally, assignment: Assignment, first: date, last: date, today: date
    ) -> None:
        ended = _local_day(assignment)
        day = max(first, assignment.start_date)
        while day <= last and (ended is None or day < ended):
            for number in range(1, times_on(assignment, day) + 1):
                done = (assignment.pk, day, number) in self.times_done
                if day < today or done:
                    tally.planned += 1
                    tally.done += done
                    tally.times.append((day, number, done))
                    self._tally_sets(tally, assignment, day, number)
            day += timedelta(days=1)

    def _tally_sets(self, tally: _Tally, assignment: Assignment, day: date, number: int) -> None:
        """A time with a session counts the sets that session planned, as they were then (a
        swap since, or a dose changed, leaves it as it was); one without, today's items."""
        logged = self.sets.get((assignment.pk, day, number))
        if logged is not None:
            for (exercise_id, side), (planned, done) in logged.items():
                tally.add_sets(self.exercises[exercise_id], side, planned, done)
            return
        for item in assignment.items.all():
            for side in _sides(item.exercise):
                tally.add_sets(item.exercise, side, item.sets, 0)


def _local_day(assignment: Assignment) -> date | None:
    """The client's day the program ended on: from then on nothing of it is due."""
    if assignment.deleted_at is None:
        return None
    return assignment.deleted_at.astimezone(ZoneInfo(assignment.client.time_zone)).date()


def ledger(
    *, assignments: Iterable[Assignment], today: dict[int, date], first: date, last: date
) -> Ledger:
    """The ledger of these programs (with their `client` and `items`: see programs_of) for
    the days from `first` to `last`; `today` is each client's."""
    by_client: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_client[assignment.client_id].append(assignment)
    ids = [a.pk for group in by_client.values() for a in group]
    if not ids:
        return Ledger({}, today, set(), {}, {})
    window = {"occurrence_date__gte": first, "occurrence_date__lte": last}
    done = (
        WorkoutSession.objects.live()
        .filter(assignment_id__in=ids, **window)
        .annotate(sets_done=Count("sets", filter=Q(sets__done=True)))
        .filter(sets_done__gt=0)
        .values_list("assignment_id", "occurrence_date", "occurrence")
    )
    rows = (
        SetLog.objects.filter(
            session__deleted_at__isnull=True,
            session__assignment_id__in=ids,
            **{f"session__{key}": value for key, value in window.items()},
        )
        .values_list(
            "session__assignment_id",
            "session__occurrence_date",
            "session__occurrence",
            "exercise_id",
            "side",
        )
        .annotate(planned=Count("id"), done=Count("id", filter=Q(done=True)))
        .order_by()
    )
    sets: dict[tuple[Any, Any, Any], dict[tuple[int, str], tuple[int, int]]] = defaultdict(dict)
    for a, d, n, exercise, side, planned, done_sets in rows:
        sets[(a, d, n)][(exercise, side)] = (planned, done_sets)
    named = {e for logged in sets.values() for e, _ in logged}
    exercises = {
        i.exercise.pk: i.exercise
        for group in by_client.values()
        for a in group
        for i in a.items.all()
    }
    exercises |= Exercise.objects.only("slug", "name", "unilateral").in_bulk(named - set(exercises))
    return Ledger(
        by_client,
        today,
        # Sessions of a program always have their day and time: see session_occurrence_whole.
        {(a, d, n) for a, d, n in done if d is not None and n is not None},
        dict(sets),
        exercises,
    )


def programs_of(queryset: Any) -> list[Assignment]:
    """The programs of a queryset with what a ledger reads of them, in three queries."""
    return list(queryset.select_related("client").prefetch_related(assignment_items_prefetch()))
