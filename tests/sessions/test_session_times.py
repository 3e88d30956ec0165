"""A wrong phone clock cannot store a session that later breaks stats, sync or cursors: times
from 1970 to a day past the server's now, checked on every path that writes them and, as far
as a database can without knowing now, by a constraint."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from sessions import limits
from sessions.models import WorkoutSession
from tests.conftest import (
    SESSIONS_URL,
    STATS_URL,
    SYNC_URL,
    routine_url,
    session_body,
)
from tests.factories import RoutineItemFactory, WorkoutSessionFactory
from tests.helpers import assert_error, models_before

pytestmark = pytest.mark.django_db

OUTSIDE = {
    "year 1": "0001-01-01T00:00:00+00:00",
    "year 9999, far east": "9999-12-31T23:00:00-05:00",
    "before 1970": "1969-12-31T23:59:59+00:00",
    "year 2500": "2500-01-01T00:00:00+00:00",
}
# Past the last day of the calendar once in UTC: refused before the range is asked.
CODES = {"year 9999, far east": "overflow"}


def _iso(moment):
    return moment.isoformat()


@pytest.mark.parametrize("case", OUTSIDE)
def test_an_upload_with_an_impossible_start_is_refused(user_client, king_runner, case):
    body = session_body(king_runner, started_at=OUTSIDE[case], ended_at=None)

    refused = assert_error(user_client.post(SESSIONS_URL, body), 400, "invalid")

    code = CODES.get(case, "out_of_range")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("started_at", code)]
    assert not WorkoutSession.objects.exists()


def test_a_start_more_than_a_day_ahead_is_refused_and_less_is_taken(user_client, king_runner):
    now = timezone.now()
    ahead = session_body(king_runner, started_at=_iso(now + timedelta(days=1, minutes=5)))
    fast_clock = session_body(
        king_runner,
        started_at=_iso(now + timedelta(hours=20)),
        ended_at=_iso(now + timedelta(hours=21)),
    )
    first = session_body(king_runner, started_at="1970-01-01T00:00:00Z", ended_at=None)

    assert_error(user_client.post(SESSIONS_URL, ahead), 400, "invalid")
    assert user_client.post(SESSIONS_URL, fast_clock).status_code == 201
    assert user_client.post(SESSIONS_URL, first).status_code == 201


def test_an_impossible_end_is_refused_on_an_edit(user_client, user, king_runner):
    session = WorkoutSessionFactory(user=user)

    response = user_client.patch(
        f"{SESSIONS_URL}{session.pk}/", {"ended_at": OUTSIDE["year 9999, far east"]}
    )

    refused = assert_error(response, 400, "invalid")
    assert [e["field"] for e in refused["errors"]] == ["ended_at"]


def test_a_routine_start_with_an_impossible_time_is_refused(user_client, user):
    routine = RoutineItemFactory(routine__owner=user).routine

    response = user_client.post(routine_url(routine, "start/"), {"started_at": OUTSIDE["year 1"]})

    refused = assert_error(response, 400, "invalid")
    assert [e["field"] for e in refused["errors"]] == ["started_at"]
    assert not WorkoutSession.objects.exists()


def test_the_database_refuses_a_time_no_serializer_would_let_in(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkoutSessionFactory(user=user, started_at=datetime(1, 1, 1, tzinfo=UTC), ended_at=None)


def test_stats_sync_and_lists_answer_for_the_earliest_and_latest_storable_times(user_client, user):
    WorkoutSessionFactory(user=user, started_at=limits.SESSION_EARLIEST, ended_at=None)
    latest = limits.SESSION_LATEST_STORABLE - timedelta(seconds=1)
    WorkoutSessionFactory(user=user, started_at=latest, ended_at=None)
    user.time_zone = "Pacific/Kiritimati"  # +14:00, the farthest ahead
    user.save()

    assert user_client.get(STATS_URL).status_code == 200
    assert user_client.get(SYNC_URL).status_code == 200
    page = user_client.get(SESSIONS_URL, {"page_size": 1})
    assert page.status_code == 200
    assert user_client.get(page.json()["next"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_stored_impossible_times_to_when_the_server_got_them(user):
    with models_before("training_sessions", "0006_range_messages") as old_apps:
        old_session = old_apps.get_model("training_sessions", "WorkoutSession")
        wrong = old_session.objects.create(
            user_id=user.pk,
            started_at=datetime(1, 1, 1, tzinfo=UTC),
            ended_at=datetime(1, 1, 1, 1, tzinfo=UTC),
            change_seq=1,
        )

    moved = WorkoutSession.objects.get(pk=wrong.pk)
    assert moved.started_at == moved.created_at
    assert moved.ended_at is None
    assert (moved.version, moved.change_seq) == (2, 1)
