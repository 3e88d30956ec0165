"""GET /api/v1/me/stats/ and progress_stats: weeks, streaks, totals, sides and pain trends,
counted in the user's own time zone."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from sessions.stats import progress_stats
from tests.conftest import STATS_URL
from tests.factories import SetLogFactory, UserFactory, WorkoutSessionFactory

pytestmark = pytest.mark.django_db

# A Wednesday in the week of Monday 31 March 2025, wherever the user is.
TODAY = date(2025, 4, 2)


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def log(user, started_at, *sets, effort=4, **extra):
    """A session at `started_at` (UTC) with sets given as (exercise, side, reps, hold, pain)
    tuples, optionally followed by `done`."""
    session = WorkoutSessionFactory(
        user=user, started_at=utc(started_at), perceived_effort=effort, **extra
    )
    for position, (exercise, side, reps, hold, pain, *done) in enumerate(sets):
        SetLogFactory(
            session=session,
            position=position,
            exercise=exercise,
            side=side,
            reps=reps,
            hold_seconds=hold,
            pain=pain,
            done=done[0] if done else True,
        )
    return session


def known_history(user, king_runner, band_march):
    """Six sessions over six weeks. Two of them fall on a Sunday evening in New York, which is
    already Monday in UTC, and one comes after the switch to daylight saving time."""
    kr, bm = king_runner, band_march
    # Tuesday 25 February, in every zone here.
    log(user, "2025-02-25T12:00:00", (kr, "left", None, 30, 2), (kr, "right", None, 30, 2))
    # Sunday 2 March 22:30 in New York; Monday 3 March in UTC.
    log(
        user,
        "2025-03-03T03:30:00",
        (kr, "left", None, 45, 4),
        (kr, "right", None, 40, 2),
        (bm, "both", 12, None, 0),
    )
    # Tuesday 11 March, with a set planned and never done.
    log(
        user,
        "2025-03-11T14:00:00",
        (kr, "left", None, 60, 0),
        (kr, "right", None, 60, 1),
        (bm, "both", 15, None, 1),
        (kr, "left", None, 600, 9, False),
    )
    # Nothing in the week of 17 March. Monday 24 March.
    log(user, "2025-03-24T13:00:00", (bm, "both", 10, None, 2))
    # Sunday 30 March 23:00 in New York; Monday 31 March in UTC.
    log(user, "2025-03-31T03:00:00", (kr, "left", None, 30, 4), (kr, "right", None, 30, 1))
    # Tuesday 1 April.
    log(user, "2025-04-01T12:00:00", (bm, "both", 8, None, 1))


def noise(user, other_user, king_runner, band_march):
    """What must never count: a deleted session, a session only planned, another user's."""
    kr = king_runner
    log(
        user,
        "2025-03-18T12:00:00",
        (kr, "left", None, 500, 10),
        deleted_at=timezone.now(),
    )
    log(user, "2025-03-19T12:00:00", (kr, "left", None, 500, 10, False))
    log(
        other_user,
        "2025-03-18T12:00:00",
        (kr, "left", None, 500, 10),
        (band_march, "both", 99, None, 10),
    )


@pytest.fixture
def new_yorker(user, other_user, king_runner, band_march):
    user.time_zone = "America/New_York"
    user.save()
    known_history(user, king_runner, band_march)
    noise(user, other_user, king_runner, band_march)
    return user


def weeks(stats):
    return [(str(w["week_start"]), w["sessions"]) for w in stats["sessions_per_week"]]


def by_slug(stats):
    return {e["exercise"]: e for e in stats["exercises"]}


def test_weeks_are_counted_in_the_users_time_zone(new_yorker):
    stats = progress_stats(user=new_yorker, today=TODAY)

    assert stats["time_zone"] == "America/New_York"
    # The Sunday evening sessions belong to the week before, as the user lived it.
    assert weeks(stats) == [
        ("2025-02-24", 2),
        ("2025-03-10", 1),
        ("2025-03-24", 2),
        ("2025-03-31", 1),
    ]
    assert stats["total_sessions"] == 6
    assert stats["longest_streak_weeks"] == 2
    assert stats["current_streak_weeks"] == 2


def test_the_same_sessions_in_utc_fall_in_other_weeks(king_runner, band_march):
    londoner = UserFactory(time_zone="UTC")
    known_history(londoner, king_runner, band_march)

    stats = progress_stats(user=londoner, today=TODAY)

    assert weeks(stats) == [
        ("2025-02-24", 1),
        ("2025-03-03", 1),
        ("2025-03-10", 1),
        ("2025-03-24", 1),
        ("2025-03-31", 2),
    ]
    # In UTC the first three weeks run unbroken.
    assert stats["longest_streak_weeks"] == 3
    assert stats["current_streak_weeks"] == 2


def test_a_monday_morning_in_tokyo_is_the_week_before_in_utc(king_runner):
    tokyo = UserFactory(time_zone="Asia/Tokyo")
    # Monday 3 March 01:00 and Monday 10 March 05:00 in Tokyo; Sundays in UTC.
    log(tokyo, "2025-03-02T16:00:00", (king_runner, "left", None, 30, 0))
    log(tokyo, "2025-03-09T20:00:00", (king_runner, "left", None, 30, 0))

    stats = progress_stats(user=tokyo, today=date(2025, 3, 12))

    assert weeks(stats) == [("2025-03-03", 1), ("2025-03-10", 1)]
    assert stats["current_streak_weeks"] == stats["longest_streak_weeks"] == 2
    assert [str(w["week_start"]) for w in by_slug(stats)["king-runner"]["pain_trend"]] == [
        "2025-03-03",
        "2025-03-10",
    ]


@pytest.mark.parametrize(
    ("today", "current"),
    [
        pytest.param(date(2025, 3, 31), 2, id="monday-of-the-last-week"),
        pytest.param(date(2025, 4, 6), 2, id="sunday-of-the-last-week"),
        pytest.param(date(2025, 4, 13), 2, id="the-week-after-is-not-over"),
        pytest.param(date(2025, 4, 14), 0, id="a-whole-week-missed"),
    ],
)
def test_the_current_streak_lasts_until_a_whole_week_is_missed(new_yorker, today, current):
    stats = progress_stats(user=new_yorker, today=today)

    assert stats["current_streak_weeks"] == current
    assert stats["longest_streak_weeks"] == 2


def test_totals_per_exercise(new_yorker):
    exercises = progress_stats(user=new_yorker, today=TODAY)["exercises"]

    assert [e["exercise"] for e in exercises] == ["band-march", "king-runner"]
    march, king_runner = exercises
    assert march == {
        "exercise": "band-march",
        "name": "Band March",
        "sets": 4,
        "total_reps": 45,
        "total_hold_seconds": 0,
        "average_pain": 1.0,
        "max_pain": 2,
        "sides": None,
        "pain_trend": march["pain_trend"],
    }
    # The planned 600-second set with pain 9 was never done.
    assert (king_runner["sets"], king_runner["total_reps"]) == (8, 0)
    assert king_runner["total_hold_seconds"] == 325
    assert (king_runner["average_pain"], king_runner["max_pain"]) == (2.0, 4)


def test_left_against_right_for_a_one_sided_exercise(new_yorker):
    king_runner = by_slug(progress_stats(user=new_yorker, today=TODAY))["king-runner"]

    assert king_runner["sides"] == {
        "left": {"reps": 0, "hold_seconds": 165, "average_pain": 2.5, "max_pain": 4},
        "right": {"reps": 0, "hold_seconds": 160, "average_pain": 1.5, "max_pain": 2},
    }


def test_pain_trend_per_week(new_yorker):
    exercises = by_slug(progress_stats(user=new_yorker, today=TODAY))

    assert exercises["king-runner"]["pain_trend"] == [
        {"week_start": date(2025, 2, 24), "average_pain": 2.5, "max_pain": 4, "sets": 4},
        {"week_start": date(2025, 3, 10), "average_pain": 0.5, "max_pain": 1, "sets": 2},
        {"week_start": date(2025, 3, 24), "average_pain": 2.5, "max_pain": 4, "sets": 2},
    ]
    assert exercises["band-march"]["pain_trend"] == [
        {"week_start": date(2025, 2, 24), "average_pain": 0.0, "max_pain": 0, "sets": 1},
        {"week_start": date(2025, 3, 10), "average_pain": 1.0, "max_pain": 1, "sets": 1},
        {"week_start": date(2025, 3, 24), "average_pain": 2.0, "max_pain": 2, "sets": 1},
        {"week_start": date(2025, 3, 31), "average_pain": 1.0, "max_pain": 1, "sets": 1},
    ]


def test_pain_trend_covers_only_recent_weeks(new_yorker):
    # Eight weeks back from the week of 21 April start on 3 March in New York: the Sunday
    # evening session of 2 March is out, though it was 3 March in UTC.
    exercises = by_slug(progress_stats(user=new_yorker, today=date(2025, 4, 21)))

    assert [t["week_start"] for t in exercises["king-runner"]["pain_trend"]] == [
        date(2025, 3, 10),
        date(2025, 3, 24),
    ]
    # The totals still cover everything.
    assert exercises["king-runner"]["sets"] == 8

    later = by_slug(progress_stats(user=new_yorker, today=date(2025, 9, 1)))
    assert later["king-runner"]["pain_trend"] == []


def test_start_and_end_are_days_in_the_users_zone_and_end_is_included(new_yorker):
    stats = progress_stats(
        user=new_yorker, start=date(2025, 3, 3), end=date(2025, 3, 30), today=TODAY
    )

    # Sunday 2 March 22:30 is before the start; Sunday 30 March 23:00 is on the last day.
    assert weeks(stats) == [("2025-03-10", 1), ("2025-03-24", 2)]
    assert (stats["start"], stats["end"]) == (date(2025, 3, 3), date(2025, 3, 30))
    assert by_slug(stats)["king-runner"]["total_hold_seconds"] == 180

    sunday = progress_stats(user=new_yorker, start=date(2025, 3, 2), end=date(2025, 3, 2))
    assert weeks(sunday) == [("2025-02-24", 1)]
    assert by_slug(sunday)["band-march"]["total_reps"] == 12


def test_no_sessions_gives_empty_stats(user):
    stats = progress_stats(user=user, today=TODAY)

    assert stats["sessions_per_week"] == []
    assert stats["total_sessions"] == 0
    assert stats["current_streak_weeks"] == stats["longest_streak_weeks"] == 0
    assert stats["exercises"] == []


def test_the_endpoint_answers_in_the_users_zone(user_client, new_yorker):
    response = user_client.get(STATS_URL, {"start": "2025-03-02", "end": "2025-03-30"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {
        "time_zone",
        "start",
        "end",
        "sessions_per_week",
        "total_sessions",
        "current_streak_weeks",
        "longest_streak_weeks",
        "exercises",
        "adherence",
    }
    assert body["adherence"] is None  # No trainer prescribes them anything.
    assert (body["time_zone"], body["start"], body["end"]) == (
        "America/New_York",
        "2025-03-02",
        "2025-03-30",
    )
    assert body["sessions_per_week"] == [
        {"week_start": "2025-02-24", "sessions": 1},
        {"week_start": "2025-03-10", "sessions": 1},
        {"week_start": "2025-03-24", "sessions": 2},
    ]
    assert body["total_sessions"] == 4
    exercises = {e["exercise"]: e for e in body["exercises"]}
    assert exercises["band-march"]["sides"] is None
    # Pain 4, 0 and 4 on the left: an average rounded to one decimal.
    assert exercises["king-runner"]["sides"]["left"] == {
        "reps": 0,
        "hold_seconds": 135,
        "average_pain": 2.7,
        "max_pain": 4,
    }


def test_the_endpoint_without_a_range_counts_everything(user_client, new_yorker):
    body = user_client.get(STATS_URL).json()

    assert (body["start"], body["end"]) == (None, None)
    assert body["total_sessions"] == 6
    assert body["longest_streak_weeks"] == 2


def test_a_one_sided_exercise_done_on_one_side_only_has_one_side(user_client, user, king_runner):
    log(user, "2025-03-04T12:00:00", (king_runner, "left", None, 30, 1))

    sides = user_client.get(STATS_URL).json()["exercises"][0]["sides"]

    left = {"reps": 0, "hold_seconds": 30, "average_pain": 1.0, "max_pain": 1}
    assert sides == {"left": left, "right": None}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param({"start": "2025-03-10", "end": "2025-03-09"}, "end", id="end-before-start"),
        pytest.param({"start": "last tuesday"}, "start", id="garbage-start"),
        pytest.param({"end": "2025-02-30"}, "end", id="no-such-day"),
    ],
)
def test_bad_ranges_are_400(user_client, query, field):
    response = user_client.get(STATS_URL, query)

    assert response.status_code == 400
    assert field in {error["field"] for error in response.json()["errors"]}


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "UTC", "America/New_York"])
@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"start": "0001-01-01"}, id="first-day-of-the-calendar"),
        pytest.param({"end": "9999-12-31"}, id="last-day-of-the-calendar"),
        pytest.param({"start": "0001-01-01", "end": "9999-12-31"}, id="all-of-it"),
    ],
)
def test_ranges_at_the_ends_of_the_calendar_bound_nothing(
    user_client, user, king_runner, zone, query
):
    user.time_zone = zone
    user.save()
    log(user, "2025-03-04T12:00:00", (king_runner, "left", None, 30, 1))

    response = user_client.get(STATS_URL, query)

    assert response.status_code == 200, response.json()
    assert response.json()["total_sessions"] == 1


def test_ranges_at_the_ends_of_the_calendar_can_still_exclude(user_client, user, king_runner):
    user.time_zone = "Asia/Tokyo"
    user.save()
    log(user, "2025-03-04T12:00:00", (king_runner, "left", None, 30, 1))

    assert user_client.get(STATS_URL, {"end": "0001-01-01"}).json()["total_sessions"] == 0
    assert user_client.get(STATS_URL, {"start": "9999-12-31"}).json()["total_sessions"] == 0


@pytest.mark.parametrize("sessions", [1, 60])
def test_stats_take_the_same_queries_however_long_the_history(
    django_assert_num_queries, user_client, user, king_runner, band_march, sessions
):
    first = datetime(2024, 1, 1, 12, tzinfo=UTC)
    for n in range(sessions):
        started_at = (first + timedelta(days=3 * n)).isoformat()[:19]
        log(
            user,
            started_at,
            (king_runner, "left", None, 30, n % 4),
            (king_runner, "right", None, 30, 0),
            (band_march, "both", 10, None, 0),
        )

    # The versions of the user's logs and of the catalog (one query), then weeks, totals per
    # exercise, totals per side, pain per week, the programs (none); asked again with nothing
    # new, the versions.
    with django_assert_num_queries(6):
        response = user_client.get(STATS_URL)
    with django_assert_num_queries(1):
        again = user_client.get(STATS_URL)

    assert response.status_code == 200
    assert response.json()["total_sessions"] == sessions
    assert again.json() == response.json()


def test_logging_a_session_refreshes_cached_stats(user_client, user, king_runner):
    log(user, "2026-11-02T12:00:00", (king_runner, "left", None, 30, 0))
    assert user_client.get(STATS_URL).json()["total_sessions"] == 1

    log(user, "2026-11-03T12:00:00", (king_runner, "left", None, 30, 0))

    assert user_client.get(STATS_URL).json()["total_sessions"] == 2
