"""What a client's programs ask of them on a day, and what they have done of it, in the
client's time zone: a late-evening session counts for that local day."""

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from django.db.models import Count, Prefetch, Q

from exercises.models import ITEM_DOSE_FIELDS
from hipflex_api.accounts.models import User

from .models import Assignment, AssignmentItem, WorkoutSession

Status = Literal["due", "started", "done"]


def assignment_items_prefetch() -> Prefetch:
    """Assignments' items with the exercise fields they show, in one query for a page."""
    items = AssignmentItem.objects.select_related("exercise").only(
        "assignment_id",
        "position",
        *ITEM_DOSE_FIELDS,
        "exercise__slug",
        "exercise__name",
        "exercise__unilateral",
    )
    return Prefetch("items", queryset=items)


def _paused_on(assignment: Assignment, day: date) -> bool:
    if assignment.paused_from is not None and day >= assignment.paused_from:
        return True
    return any(
        date.fromisoformat(first) <= day < date.fromisoformat(resumed)
        for first, resumed in assignment.pauses
    )


def schedule_on(assignment: Assignment, day: date) -> tuple[int, int]:
    """The weekdays and times a day the assignment had on `day`: an earlier schedule's
    before the day it changed, else the current one."""
    for changed, weekdays, times_per_day in assignment.schedules:
        if day < date.fromisoformat(changed):
            return weekdays, times_per_day
    return assignment.weekdays, assignment.times_per_day


def times_on(assignment: Assignment, day: date) -> int:
    """How many times the assignment asks for on `day`: 0 when nothing is due."""
    weekdays, times_per_day = schedule_on(assignment, day)
    due = (
        assignment.start_date <= day
        and (assignment.end_date is None or day <= assignment.end_date)
        and bool(weekdays & 1 << (day.isoweekday() - 1))
        and not _paused_on(assignment, day)
    )
    return times_per_day if due else 0


def occurrence_due(assignment: Assignment, day: date) -> bool:
    """Whether the assignment asks for anything on `day`."""
    return times_on(assignment, day) > 0


@dataclass(frozen=True)
class Occurrence:
    """One time a program is due on a day, and the session that fulfils it, if any: `done`
    once one of its sets is done, `started` before."""

    assignment: Assignment
    number: int
    session: UUID | None
    status: Status


@dataclass(frozen=True)
class Plan:
    date: date
    time_zone: str
    occurrences: list[Occurrence]


def plan_for(*, user: User, day: date) -> Plan:
    """What is due on `day`, in three queries however many programs and sessions."""
    standing = (
        Assignment.objects.for_client(user)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day)
        .select_related("link__trainer")  # The trainer's name.
        .prefetch_related(assignment_items_prefetch())
    )
    due = [assignment for assignment in standing if occurrence_due(assignment, day)]
    sessions = (
        WorkoutSession.objects.live()
        .filter(user=user, assignment__in=[a.pk for a in due], occurrence_date=day)
        .annotate(sets_done=Count("sets", filter=Q(sets__done=True)))
        .values_list("assignment_id", "occurrence", "id", "sets_done")
    )
    done = (
        {(a, n): (pk, "done" if sets else "started") for a, n, pk, sets in sessions} if due else {}
    )
    occurrences = [
        Occurrence(assignment, number, *done.get((assignment.pk, number), (None, "due")))
        for assignment in due
        for number in range(1, times_on(assignment, day) + 1)
    ]
    return Plan(date=day, time_zone=user.time_zone, occurrences=occurrences)
