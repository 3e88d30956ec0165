"""Progress numbers, counted in the user's own time zone by the database, in four queries
whatever the length of the history (and, for a user with programs, adherence's four)."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Exists, F, Max, OuterRef, QuerySet, Sum
from django.db.models.functions import TruncWeek

from hipflex_api.accounts.models import User

from .adherence import ledger, programs_of
from .models import Assignment, SetLog, WorkoutSession

PAIN_TREND_WEEKS = 8


def week_start(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def _midnight(day: date, zone: ZoneInfo, *, days_later: int = 0) -> datetime | None:
    """The start of the day `days_later` after `day` in `zone`, as UTC; None where that lies
    beyond what a datetime holds."""
    try:
        return datetime.combine(day + timedelta(days=days_later), time.min, zone).astimezone(UTC)
    except OverflowError:
        return None


def _streaks(weeks: list[date], this_week: date) -> tuple[int, int]:
    """Current and longest runs of consecutive weeks with a session. The current run may end
    last week: this week is not over yet."""
    longest = run = 0
    previous: date | None = None
    for week in weeks:
        run = run + 1 if previous is not None and week - previous == timedelta(weeks=1) else 1
        longest = max(longest, run)
        previous = week
    current = run if previous is not None and this_week - previous <= timedelta(weeks=1) else 0
    return current, longest


def _dated(user: User, zone: ZoneInfo, start: date | None, end: date | None) -> QuerySet[Any]:
    """The user's sessions from `start` to `end`, days in `zone`, both ends included."""
    dated: QuerySet[WorkoutSession] = WorkoutSession.objects.for_user(user).live()
    # A bound past the ends of the calendar (start=0001-01-01 east of UTC, end=9999-12-31)
    # bounds nothing.
    if start is not None and (first := _midnight(start, zone)) is not None:
        dated = dated.filter(started_at__gte=first)
    if end is not None and (after_end := _midnight(end, zone, days_later=1)) is not None:
        dated = dated.filter(started_at__lt=after_end)
    return dated


def _weeks(sessions: QuerySet[Any], zone: ZoneInfo, today: date) -> dict[str, Any]:
    """Sessions per week, and the current and longest streaks of weeks with one."""
    week = TruncWeek("started_at", tzinfo=zone)
    per_week = list(
        sessions.annotate(week=week).values("week").annotate(sessions=Count("id")).order_by("week")
    )
    weeks = [as_date(row["week"]) for row in per_week]
    # A session dated in the future (a phone with a wrong clock) does not make a streak.
    this_week = week_start(today)
    current, longest = _streaks([w for w in weeks if w <= this_week], this_week)
    return {
        "sessions_per_week": [
            {"week_start": day, "sessions": row["sessions"]}
            for day, row in zip(weeks, per_week, strict=True)
        ],
        "total_sessions": sum(row["sessions"] for row in per_week),
        "current_streak_weeks": current,
        "longest_streak_weeks": longest,
    }


def _pain(row: dict[str, Any]) -> dict[str, Any]:
    return {"average_pain": round(row["average_pain"], 1), "max_pain": row["max_pain"]}


def _sides(sets: QuerySet[SetLog]) -> dict[str, dict[str, Any]]:
    """Per one-sided exercise (by slug), the totals of its left and of its right sets."""
    by_side = (
        sets.filter(exercise__unilateral=True, side__in=["left", "right"])
        .values("exercise__slug", "side")
        .annotate(
            reps=Sum("reps", default=0),
            hold_seconds=Sum("hold_seconds", default=0),
            average_pain=Avg("pain"),
            max_pain=Max("pain"),
        )
    )
    sides: dict[str, dict[str, Any]] = {}
    for row in by_side:
        sides.setdefault(row["exercise__slug"], {})[row["side"]] = {
            "reps": row["reps"],
            "hold_seconds": row["hold_seconds"],
            **_pain(row),
        }
    return sides


def _pain_trends(
    sets: QuerySet[SetLog], zone: ZoneInfo, last_day: date
) -> dict[str, list[dict[str, Any]]]:
    """Per exercise (by slug), pain per week over the PAIN_TREND_WEEKS up to `last_day`."""
    try:
        trend_start = _midnight(week_start(last_day) - timedelta(weeks=PAIN_TREND_WEEKS - 1), zone)
    except OverflowError:  # A range ending in the first weeks of year 1.
        trend_start = None
    trend_sets = sets if trend_start is None else sets.filter(session__started_at__gte=trend_start)
    trend = (
        trend_sets.annotate(week=TruncWeek(F("session__started_at"), tzinfo=zone))
        .values("exercise__slug", "week")
        .annotate(average_pain=Avg("pain"), max_pain=Max("pain"), sets=Count("id"))
        .order_by("exercise__slug", "week")
    )
    trends: dict[str, list[dict[str, Any]]] = {}
    for row in trend:
        trends.setdefault(row["exercise__slug"], []).append(
            {"week_start": as_date(row["week"]), **_pain(row), "sets": row["sets"]}
        )
    return trends


def _exercises(sets: QuerySet[SetLog], zone: ZoneInfo, last_day: date) -> list[dict[str, Any]]:
    """Per exercise, in name order: its totals, left against right, and its pain trend."""
    totals = (
        sets.values("exercise__slug", "exercise__name", "exercise__unilateral")
        .annotate(
            total_reps=Sum("reps", default=0),
            total_hold_seconds=Sum("hold_seconds", default=0),
            set_count=Count("id"),
            average_pain=Avg("pain"),
            max_pain=Max("pain"),
        )
        .order_by("exercise__name")
    )
    sides, trends = _sides(sets), _pain_trends(sets, zone, last_day)
    return [
        {
            "exercise": row["exercise__slug"],
            "name": row["exercise__name"],
            "sets": row["set_count"],
            "total_reps": row["total_reps"],
            "total_hold_seconds": row["total_hold_seconds"],
            **_pain(row),
            "sides": {"left": None, "right": None, **sides.get(row["exercise__slug"], {})}
            if row["exercise__unilateral"]
            else None,
            "pain_trend": trends.get(row["exercise__slug"], []),
        }
        for row in totals
    ]


def progress_stats(
    *, user: User, start: date | None = None, end: date | None = None, today: date | None = None
) -> dict[str, Any]:
    zone = ZoneInfo(user.time_zone)
    today = today or datetime.now(zone).date()
    dated = _dated(user, zone, start, end)
    # A session counts once something in it was done: one started from a routine and left
    # untouched is a plan, not a workout.
    sessions = dated.filter(Exists(SetLog.objects.filter(session=OuterRef("pk"), done=True)))
    # Done sets need no check that their session has one.
    sets = SetLog.objects.filter(session__in=dated, done=True)
    # The trend covers the last weeks of the range asked for, or up to today without one.
    last_day = min(end, today) if end is not None else today
    return {
        "time_zone": user.time_zone,
        "start": start,
        "end": end,
        **_weeks(sessions, zone, today),
        "exercises": _exercises(sets, zone, last_day),
        "adherence": _adherence(user, today, start, end),
    }


def _adherence(user: User, today: date, start: date | None, end: date | None) -> Any:
    """Of the programs trainers prescribed the user, from the first one's start without
    `start`; None if there were none."""
    programs = programs_of(Assignment.objects.filter(client=user))
    if not programs:
        return None
    first = start or min(program.start_date for program in programs)
    last = min(end or today, today)
    if last < first:
        return None
    book = ledger(assignments=programs, today={user.pk: today}, first=first, last=last)
    return book.adherence(user.pk, first, last)


def as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
