"""One set of limits on every path that writes sessions: a routine's start plans no more sets
than a session may hold, however the routine was written, and no account stores more sessions
a day, or starts more routines an hour, than its quotas."""

import uuid

import pytest
from django.conf import settings
from rest_framework.renderers import JSONRenderer

from exercises.models import Routine
from sessions import limits, services
from sessions.models import SetLog, WorkoutSession
from sessions.serializers import WorkoutSessionSerializer
from sessions.views import SessionPagination
from tests.conftest import (
    ROUTINES_URL,
    SESSIONS_URL,
    SYNC_URL,
    routine_url,
    session_body,
    session_url,
    upload_session,
)
from tests.factories import ExerciseFactory, RoutineItemFactory, WorkoutSessionFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def _items(exercise, count, sets):
    return [{"exercise": exercise.slug, "sets": sets, "hold_seconds": 30} for _ in range(count)]


def test_a_routine_whose_start_would_plan_too_many_sets_is_refused(user_client):
    one_sided = ExerciseFactory(unilateral=True)
    # 50 items x 20 sets x 2 sides: 2,000 sets, ten times what an upload may hold.
    body = {"name": "Too much", "items": _items(one_sided, 50, 20)}

    refused = assert_error(user_client.post(ROUTINES_URL, body, format="json"), 400, "invalid")

    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("items", "max_sets")]
    assert str(settings.MAX_SETS_PER_SESSION) in refused["errors"][0]["message"]
    assert not Routine.objects.exists()


def test_a_routine_that_plans_exactly_the_limit_is_taken_and_starts(user_client):
    limit = settings.MAX_SETS_PER_SESSION
    one_sided = ExerciseFactory(unilateral=True)
    body = {"name": "Just so", "items": _items(one_sided, limit // 20, 10)}

    created = user_client.post(ROUTINES_URL, body, format="json")
    assert created.status_code == 201, created.json()
    routine = Routine.objects.get()
    started = user_client.post(routine_url(routine, "start/"), {}, format="json")

    assert started.status_code == 201
    assert len(started.json()["session"]["sets"]) == limit


def test_starting_a_routine_stored_over_the_limit_is_a_422_that_saves_nothing(user, user_client):
    # As a routine written before the limit, or through the admin, might be.
    item = RoutineItemFactory(
        routine__owner=user, exercise=ExerciseFactory(unilateral=True), sets=20
    )
    for _ in range(5):
        RoutineItemFactory(routine=item.routine, exercise=item.exercise, sets=20)

    response = user_client.post(routine_url(item.routine, "start/"), {}, format="json")

    body = assert_error(response, 422, "unprocessable")
    assert "240 sets" in body["detail"]
    assert not WorkoutSession.objects.exists()
    assert not SetLog.objects.exists()


# Quotas: sessions an account stores a day, routine starts an hour.


def _over_quota(response, limit_name):
    body = assert_error(response, 429, "quota_exceeded")
    assert limit_name in body["detail"]
    return int(response["Retry-After"])


def test_sessions_past_the_daily_quota_are_refused_until_the_oldest_is_a_day_old(
    settings, user, user_client, time_machine
):
    settings.MAX_SESSIONS_PER_DAY = 3
    exercise = ExerciseFactory()
    time_machine.move_to("2026-03-02T08:00:00Z", tick=False)
    first = upload_session(user_client, exercise)
    time_machine.move_to("2026-03-02T09:00:00Z", tick=False)
    upload_session(user_client, exercise)
    upload_session(user_client, exercise)

    refused = user_client.post(SESSIONS_URL, session_body(exercise), format="json")

    # The first of the three leaves the last 24 hours at 08:00 tomorrow, 23 hours from now.
    assert _over_quota(refused, "MAX_SESSIONS_PER_DAY") == 23 * 3600
    assert WorkoutSession.objects.count() == 3
    # A retry of what is stored still gets it back, and edits go on.
    retried = user_client.post(SESSIONS_URL, session_body(exercise, id=first), format="json")
    assert retried.status_code == 200
    edited = user_client.patch(session_url(first), {"notes": "Still counts."}, format="json")
    assert edited.status_code == 200
    time_machine.move_to("2026-03-03T08:00:01Z", tick=False)
    upload_session(user_client, exercise)


def test_every_path_that_creates_a_session_keeps_the_daily_quota(settings, user, user_client):
    settings.MAX_SESSIONS_PER_DAY = 1
    exercise = ExerciseFactory()
    routine = RoutineItemFactory(routine__owner=user, exercise=exercise).routine
    upload_session(user_client, exercise)
    new_id = str(uuid.uuid4())

    put = user_client.put(session_url(new_id), session_body(exercise), format="json")
    keyed = user_client.post(
        SESSIONS_URL, session_body(exercise), format="json", headers={"Idempotency-Key": "k-1"}
    )
    started = user_client.post(routine_url(routine, "start/"), {}, format="json")

    for response in (put, keyed, started):
        _over_quota(response, "MAX_SESSIONS_PER_DAY")
    assert WorkoutSession.objects.count() == 1
    assert SetLog.objects.count() == 2
    # The refused key recorded nothing: once there is room, it is a new upload.
    settings.MAX_SESSIONS_PER_DAY = 2
    retried = user_client.post(
        SESSIONS_URL, session_body(exercise), format="json", headers={"Idempotency-Key": "k-1"}
    )
    assert retried.status_code == 201


def test_the_quota_is_per_account(settings, user_client, other_client):
    settings.MAX_SESSIONS_PER_DAY = 1
    exercise = ExerciseFactory()
    upload_session(user_client, exercise)

    upload_session(other_client, exercise)

    _over_quota(
        user_client.post(SESSIONS_URL, session_body(exercise), format="json"),
        "MAX_SESSIONS_PER_DAY",
    )


def test_routine_starts_past_the_hourly_quota_are_refused_while_uploads_go_on(
    settings, user, user_client, time_machine
):
    settings.MAX_ROUTINE_STARTS_PER_HOUR = 2
    exercise = ExerciseFactory()
    routine = RoutineItemFactory(routine__owner=user, exercise=exercise).routine
    time_machine.move_to("2026-03-02T08:00:00Z", tick=False)
    start = routine_url(routine, "start/")
    for _ in range(2):
        assert user_client.post(start, {}, format="json").status_code == 201
    time_machine.move_to("2026-03-02T08:20:00Z", tick=False)

    refused = user_client.post(start, {}, format="json")

    assert _over_quota(refused, "MAX_ROUTINE_STARTS_PER_HOUR") == 40 * 60
    assert WorkoutSession.objects.count() == 2
    upload_session(user_client, exercise)
    time_machine.move_to("2026-03-02T09:00:01Z", tick=False)
    assert user_client.post(start, {}, format="json").status_code == 201


# Pages of sessions hold at most PAGE_BYTES, however large each session is.


def _big_sessions(user, count):
    """`count` sessions as large as the limits allow: every set, and every note, full."""
    exercise = ExerciseFactory(slug="s" * 80, name="A" * 80)
    sessions = [
        WorkoutSessionFactory(user=user, notes='"Full" ' * 285, routine_name="R" * 120)
        for _ in range(count)
    ]
    SetLog.objects.bulk_create(
        SetLog(
            session=session,
            position=position,
            exercise=exercise,
            side="right",
            reps=1000,
            hold_seconds=3600,
            pain=10,
            notes="\\é" * 250,
            done=False,
            rest_seconds=600,
        )
        for session in sessions
        for position in range(settings.MAX_SETS_PER_SESSION)
    )
    return sessions


def _next_sync(page, params):
    if not page["has_more"]:
        return None, None
    return SYNC_URL, {**params, "since": page["next_cursor"]}


def _walk(client, url, params, rows, following):
    """Every page from the first, as (rows on it, its size in bytes)."""
    pages = []
    while url:
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        pages.append((rows(response.json()), len(response.content)))
        url, params = following(response.json(), params)
    return pages


def _next_list(page, params):
    return page["next"], None


@pytest.mark.parametrize(
    ("url", "params", "rows_of", "following"),
    [
        (SESSIONS_URL, {"page_size": 100}, "results", _next_list),
        (SYNC_URL, {"limit": 500}, "sessions", _next_sync),
    ],
    ids=["session-list", "sync"],
)
def test_a_page_holds_no_more_bytes_than_its_cap(
    user, user_client, url, params, rows_of, following
):
    sessions = _big_sessions(user, 12)

    pages = _walk(
        user_client,
        url,
        params,
        rows=lambda page: [s["id"] for s in page[rows_of]],
        following=following,
    )

    assert all(size <= limits.PAGE_BYTES for _, size in pages)
    assert len(pages) > 1
    seen = [session_id for ids, _ in pages for session_id in ids]
    assert sorted(seen) == sorted(str(s.pk) for s in sessions)  # None lost, none twice.


def test_a_session_larger_than_the_cap_still_makes_a_page_of_its_own(
    monkeypatch, user, user_client
):
    _big_sessions(user, 2)
    monkeypatch.setattr(SessionPagination, "max_page_weight", 1000)
    monkeypatch.setattr(limits, "PAGE_BYTES", 1000)

    first = user_client.get(SESSIONS_URL).json()
    second = user_client.get(first["next"]).json()
    synced = user_client.get(SYNC_URL).json()

    assert [len(page["results"]) for page in (first, second)] == [1, 1]
    assert second["next"] is None
    assert len(synced["sessions"]) == 1
    assert synced["has_more"] is True


def test_the_reckoning_of_a_session_is_at_least_its_json(user):
    (session,) = _big_sessions(user, 1)
    stored = services.sessions_with_sets(WorkoutSession.objects.filter(pk=session.pk)).get()

    rendered = JSONRenderer().render(WorkoutSessionSerializer(stored).data)

    assert len(rendered) <= limits.session_bytes(stored) < len(rendered) * 1.1
