"""Reading and changing workout sessions through /api/v1/sessions/."""

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from hipflex_api.filters import OFFSET_REQUIRED
from sessions.models import SetLog, WorkoutSession
from tests.conftest import SESSIONS_URL, a_set, session_body, session_url
from tests.factories import SetLogFactory, WorkoutSessionFactory
from tests.helpers import assert_error, error_fields

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 1, 7, 0, tzinfo=UTC)


def session_with_sets(user, exercise, *, sets=2, **fields):
    session = WorkoutSessionFactory(user=user, **fields)
    for position in range(sets):
        SetLogFactory(session=session, exercise=exercise, position=position)
    return session


def ids(response):
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


def cursor_of(querystring):
    return base64.b64encode(querystring.encode()).decode()


# Creating


def test_band_set_per_leg_and_timed_hold_are_saved_in_the_order_sent(
    user_client, user, king_runner, band_march
):
    sets = [
        {"exercise": band_march.slug, "side": "left", "reps": 10},
        {"exercise": band_march.slug, "side": "right", "reps": 10},
        {"exercise": king_runner.slug, "side": "both", "hold_seconds": 30, "pain": 2},
        {"exercise": band_march.slug, "side": "left", "reps": 8, "notes": "Knee twinged."},
    ]

    response = user_client.post(SESSIONS_URL, session_body(king_runner, sets=sets))

    assert response.status_code == 201, response.json()
    body = response.json()
    logged = {"done": True, "rest_seconds": None}
    assert body["sets"] == [
        {**sets[0], "hold_seconds": None, "pain": 0, "notes": "", **logged},
        {**sets[1], "hold_seconds": None, "pain": 0, "notes": "", **logged},
        {**sets[2], "reps": None, "notes": "", **logged},
        {**sets[3], "hold_seconds": None, "pain": 0, **logged},
    ]
    session = WorkoutSession.objects.get()
    assert session.user == user
    assert [s.side for s in session.sets.all()] == ["left", "right", "both", "left"]


def test_create_answers_201_with_etag_location_and_the_session(user_client, king_runner):
    response = user_client.post(SESSIONS_URL, session_body(king_runner))

    assert response.status_code == 201
    body = response.json()
    assert response["ETag"] == '"1"'
    assert response["Location"] == session_url(body["id"])
    assert body["version"] == 1
    assert body["started_at"] == "2025-03-01T07:00:00Z"
    assert body["ended_at"] == "2025-03-01T07:25:00Z"
    assert body["notes"] == "Morning hips."
    assert body["perceived_effort"] == 5
    assert body["created_at"]
    assert body["updated_at"]
    assert user_client.get(response["Location"]).json() == body


_ANSWERED_FROM_MEMORY = pytest.mark.parametrize(
    "overrides",
    [
        {},
        # Another offset and microseconds: the answer gives them in UTC, as stored.
        {"started_at": "2025-03-01T12:30:00.123456+05:30", "ended_at": None},
        {"notes": "", "perceived_effort": None, "sets": []},
        {
            "sets": [
                {"exercise": "king-runner", "hold_seconds": 30},
                {
                    "exercise": "king-runner",
                    "side": "right",
                    "reps": 8,
                    "hold_seconds": 5,
                    "pain": 3,
                    "notes": "Tight.",
                    "done": False,
                    "rest_seconds": 45,
                },
            ]
        },
    ],
)


@pytest.mark.parametrize("method", ["post", "put"])
@_ANSWERED_FROM_MEMORY
def test_the_answer_to_an_upload_is_what_reading_it_gives(
    user_client, king_runner, method, overrides
):
    # The answer is made from what was just written, not read back: it must not differ.
    session_id = str(uuid.uuid4())
    body = session_body(king_runner, id=session_id, **overrides)
    url = SESSIONS_URL if method == "post" else session_url(session_id)

    created = getattr(user_client, method)(url, body)

    assert created.status_code == 201, created.content
    read = user_client.get(session_url(session_id))
    assert created.json() == read.json()
    assert created["ETag"] == read["ETag"]


@pytest.mark.parametrize("retry", [False, True], ids=["edit", "retried-upload"])
@_ANSWERED_FROM_MEMORY
def test_the_answer_to_an_edit_or_retry_is_what_reading_it_gives(
    user_client, king_runner, overrides, retry
):
    # Both are answered from the session in memory (an edit's sets as just written, a
    # retry's as looked up), not read again.
    session_id = str(uuid.uuid4())
    assert (
        user_client.post(SESSIONS_URL, session_body(king_runner, id=session_id)).status_code == 201
    )
    body = session_body(king_runner, id=session_id, **{"notes": "Edited.", **overrides})

    if retry:
        answer = user_client.post(SESSIONS_URL, body)
    else:
        answer = user_client.put(session_url(session_id), body)

    assert answer.status_code == 200, answer.content
    read = user_client.get(session_url(session_id))
    assert answer.json() == read.json()
    assert answer["ETag"] == read["ETag"]


@pytest.mark.parametrize("sets", [1, 50])
def test_an_upload_costs_the_same_queries_whatever_its_sets(
    user_client, king_runner, band_march, django_assert_num_queries, sets
):
    body = session_body(
        king_runner,
        sets=[a_set(band_march if n % 2 else king_runner) for n in range(sets)],
    )
    assert (
        user_client.post(SESSIONS_URL, session_body(king_runner)).status_code == 201
    )  # Counter made.
    # The exercises, then in one transaction (in the test's own here, so a savepoint and its
    # release): the change number, the account check, the session, the day's quota (one
    # indexed read), the webhook endpoints to tell (none), its sets. The answer reads nothing
    # back.
    with django_assert_num_queries(9):
        response = user_client.post(SESSIONS_URL, body)
    assert response.status_code == 201, response.content
    assert len(response.json()["sets"]) == sets


def test_session_may_cross_midnight_and_leave_out_its_end(user_client, king_runner):
    late = session_body(
        king_runner, started_at="2025-03-01T23:40:00Z", ended_at="2025-03-02T00:15:00Z"
    )
    open_ended = session_body(king_runner, ended_at=None, perceived_effort=None)

    late_response = user_client.post(SESSIONS_URL, late)
    open_response = user_client.post(SESSIONS_URL, open_ended)

    assert late_response.status_code == 201, late_response.json()
    assert late_response.json()["ended_at"] == "2025-03-02T00:15:00Z"
    assert open_response.status_code == 201, open_response.json()
    assert open_response.json()["ended_at"] is None
    assert open_response.json()["perceived_effort"] is None


def test_session_without_sets_is_allowed_but_sets_must_be_sent(user_client, king_runner):
    assert user_client.post(SESSIONS_URL, session_body(king_runner, sets=[])).status_code == 201
    body = session_body(king_runner)
    del body["sets"]
    assert error_fields(user_client.post(SESSIONS_URL, body)) == {"sets"}


# Listing


def test_list_shows_only_the_callers_live_sessions_newest_first(
    user_client, user, other_user, king_runner
):
    older = session_with_sets(user, king_runner, started_at=START - timedelta(days=2))
    newest = session_with_sets(user, king_runner, started_at=START)
    middle = session_with_sets(user, king_runner, started_at=START - timedelta(days=1))
    deleted = session_with_sets(user, king_runner, started_at=START + timedelta(days=1))
    user_client.delete(session_url(deleted.pk))
    session_with_sets(other_user, king_runner, started_at=START + timedelta(days=2))

    response = user_client.get(SESSIONS_URL)

    assert ids(response) == [str(newest.pk), str(middle.pk), str(older.pk)]
    assert set(response.json()) == {"next", "previous", "results"}
    assert response.json()["results"][0]["sets"][0]["exercise"] == king_runner.slug


def test_following_next_visits_every_session_once_in_order(user_client, user):
    sessions = [
        WorkoutSessionFactory(user=user, started_at=START - timedelta(hours=n)) for n in range(5)
    ]
    # Two sessions that start at the same moment must not be skipped or repeated.
    sessions.append(WorkoutSessionFactory(user=user, started_at=START - timedelta(hours=2)))
    expected = [
        str(s.pk) for s in sorted(sessions, key=lambda s: (s.started_at, s.pk), reverse=True)
    ]

    seen, url, pages = [], f"{SESSIONS_URL}?page_size=2", 0
    while url:
        response = user_client.get(url)
        seen += ids(response)
        url, pages = response.json()["next"], pages + 1
        if pages == 2:
            assert response.json()["previous"]

    assert seen == expected
    assert pages == 3


@pytest.mark.parametrize("page_size", ["0", "101", "-1", "ten", "1.5"])
def test_bad_page_size_is_400(user_client, page_size):
    assert error_fields(user_client.get(SESSIONS_URL, {"page_size": page_size})) == {"page_size"}


def test_page_size_100_is_allowed(user_client, user):
    WorkoutSessionFactory.create_batch(3, user=user)

    assert len(ids(user_client.get(SESSIONS_URL, {"page_size": "100"}))) == 3


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        "é",
        cursor_of("p=not-a-time"),
        cursor_of("p=2025-02-30T00:00:00+00:00"),
        cursor_of("p=2025-03-01"),
        cursor_of("p=2025-03-01 07:00:00"),
        cursor_of("o=abc&p=2025-03-01+07:00:00+00:00"),
        cursor_of("o=-1"),
        cursor_of("r=1&p=" + "9" * 400),
        cursor_of("p=0001-01-01T00:00:00%2B01:00"),
        cursor_of("r=1&p=9999-12-31T23:59:59-01:00"),
    ],
    ids=[
        "not-base64",
        "punctuation",
        "non-ascii",
        "position-not-a-time",
        "position-impossible-date",
        "position-a-date",
        "position-naive-time",
        "offset-not-a-number",
        "offset-negative",
        "position-huge-number",
        "position-before-year-1-in-utc",
        "position-after-year-9999-in-utc",
    ],
)
def test_garbage_or_tampered_cursor_is_400(user_client, user, cursor):
    WorkoutSessionFactory.create_batch(3, user=user)

    assert error_fields(user_client.get(SESSIONS_URL, {"cursor": cursor})) == {"cursor"}


def test_filters_by_start_time(user_client, user):
    early = WorkoutSessionFactory(user=user, started_at=START - timedelta(days=1))
    on_time = WorkoutSessionFactory(user=user, started_at=START)
    late = WorkoutSessionFactory(user=user, started_at=START + timedelta(days=1))

    after = user_client.get(SESSIONS_URL, {"started_after": "2025-03-01T07:00:00Z"})
    before = user_client.get(SESSIONS_URL, {"started_before": "2025-03-01T07:00:00Z"})
    window = user_client.get(
        SESSIONS_URL,
        {"started_after": "2025-02-28T12:00:00+00:00", "started_before": "2025-03-02T00:00:00Z"},
    )

    assert ids(after) == [str(late.pk), str(on_time.pk)]
    assert ids(before) == [str(early.pk)]
    assert ids(window) == [str(on_time.pk)]


@pytest.mark.parametrize("name", ["started_after", "started_before"])
@pytest.mark.parametrize("value", ["yesterday", "2025-13-01T00:00:00Z", "1700000000"])
def test_garbage_start_time_filter_is_400(user_client, name, value):
    assert error_fields(user_client.get(SESSIONS_URL, {name: value})) == {name}


@pytest.mark.parametrize("name", ["started_after", "started_before"])
@pytest.mark.parametrize("value", ["2025-03-01T07:00:00", "2025-03-01"], ids=["time", "date"])
def test_a_start_time_filter_without_its_offset_is_400_not_read_as_utc(
    user_client, user, name, value
):
    WorkoutSessionFactory(user=user, started_at=START)

    response = user_client.get(SESSIONS_URL, {name: value})

    body = assert_error(response, 400, "invalid")
    assert body["errors"] == [{"field": name, "code": "naive", "message": OFFSET_REQUIRED}]


def test_exercise_filter_lists_a_session_with_several_sets_of_it_once(
    user_client, user, king_runner, band_march
):
    with_it = session_with_sets(user, king_runner, sets=4)
    session_with_sets(user, band_march, sets=2)

    response = user_client.get(SESSIONS_URL, {"exercise": king_runner.slug})

    assert ids(response) == [str(with_it.pk)]


def test_unknown_exercise_filter_is_400(user_client):
    assert error_fields(user_client.get(SESSIONS_URL, {"exercise": "no-such-exercise"})) == {
        "exercise"
    }


def test_list_costs_the_same_queries_for_one_and_thirty_sessions(
    user_client, user, king_runner, band_march, django_assert_num_queries
):
    session_with_sets(user, king_runner)
    # The versions of the user's logs and of the catalog (one query), the page, its sets.
    with django_assert_num_queries(3):
        assert len(ids(user_client.get(SESSIONS_URL, {"page_size": "100"}))) == 1

    for n in range(29):
        session_with_sets(user, band_march if n % 2 else king_runner, sets=3)
    with django_assert_num_queries(4):  # And the filter's exercise.
        response = user_client.get(SESSIONS_URL, {"page_size": "100", "exercise": band_march.slug})
        assert len(ids(response)) == 14
    with django_assert_num_queries(3):
        assert len(ids(user_client.get(SESSIONS_URL, {"page_size": "100"}))) == 30
    with django_assert_num_queries(1):  # Nothing logged since: the versions alone.
        assert len(ids(user_client.get(SESSIONS_URL, {"page_size": "100"}))) == 30


# Reading one


def test_get_answers_with_the_session_and_its_etag(user_client, user, king_runner):
    session = session_with_sets(user, king_runner, sets=3, notes="Felt loose.")

    response = user_client.get(session_url(session.pk))

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["id"] == str(session.pk)
    assert response.json()["notes"] == "Felt loose."
    assert len(response.json()["sets"]) == 3


def test_if_none_match_with_the_current_etag_is_304(user_client, user):
    session = WorkoutSessionFactory(user=user)

    current = user_client.get(session_url(session.pk), HTTP_IF_NONE_MATCH='"1"')
    weak = user_client.get(session_url(session.pk), HTTP_IF_NONE_MATCH='W/"1"')
    in_a_list = user_client.get(session_url(session.pk), HTTP_IF_NONE_MATCH='"7", "1"')
    stale = user_client.get(session_url(session.pk), HTTP_IF_NONE_MATCH='"0"')

    assert current.status_code == 304
    assert current["ETag"] == '"1"'
    assert not current.content
    assert weak.status_code == 304
    assert in_a_list.status_code == 304
    assert stale.status_code == 200
    assert stale.json()["id"] == str(session.pk)
    assert "Content-Type" not in current


def test_if_none_match_star_gets_the_whole_session(user_client, user):
    # hipflex_api.conditional: "*" in If-None-Match is honoured nowhere, as for the catalog.
    session = WorkoutSessionFactory(user=user)

    response = user_client.get(session_url(session.pk), HTTP_IF_NONE_MATCH="*")

    assert response.status_code == 200
    assert response.json()["id"] == str(session.pk)


def test_unknown_or_malformed_id_is_404(user_client):
    assert user_client.get(session_url(uuid.uuid4())).status_code == 404
    assert user_client.get(session_url("-" * 36)).status_code == 404
    assert user_client.get(session_url("not-a-uuid")).status_code == 404


# Other users and anonymous callers


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("get", None),
        ("put", "full"),
        ("patch", {"notes": "Mine now."}),
        ("delete", None),
    ],
)
def test_other_users_session_is_404_and_unchanged(
    user_client, other_user, king_runner, method, body
):
    theirs = session_with_sets(other_user, king_runner, sets=2, notes="Private.")
    if body == "full":
        body = session_body(king_runner, notes="Mine now.", sets=[])

    response = getattr(user_client, method)(session_url(theirs.pk), body)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.user == other_user
    assert theirs.notes == "Private."
    assert theirs.version == 1
    assert theirs.deleted_at is None
    assert theirs.sets.count() == 2


@pytest.mark.parametrize("if_match", ['"1"', "*"])
def test_other_users_session_is_404_even_with_if_match(
    user_client, other_user, king_runner, if_match
):
    theirs = WorkoutSessionFactory(user=other_user)

    response = user_client.patch(session_url(theirs.pk), {"notes": "x"}, HTTP_IF_MATCH=if_match)

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.version == 1


def test_other_users_deleted_session_is_404_not_410(user_client, other_client, other_user):
    theirs = WorkoutSessionFactory(user=other_user)
    assert other_client.delete(session_url(theirs.pk)).status_code == 204

    assert user_client.get(session_url(theirs.pk)).status_code == 404
    assert user_client.delete(session_url(theirs.pk)).status_code == 404


def test_other_users_session_never_appears_in_my_list(user_client, other_user, king_runner):
    session_with_sets(other_user, king_runner)

    assert ids(user_client.get(SESSIONS_URL)) == []
    assert ids(user_client.get(SESSIONS_URL, {"exercise": king_runner.slug})) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "list"),
        ("post", "list"),
        ("get", "detail"),
        ("put", "detail"),
        ("patch", "detail"),
        ("delete", "detail"),
    ],
)
def test_anonymous_is_401(api_client, user, king_runner, method, path):
    session = WorkoutSessionFactory(user=user, notes="Mine.")
    url = SESSIONS_URL if path == "list" else session_url(session.pk)

    body = None if method == "get" else session_body(king_runner, notes="Theirs.")
    response = getattr(api_client, method)(url, body)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert WorkoutSession.objects.get().notes == "Mine."


# Replacing with PUT


def test_put_to_an_unknown_id_creates_it_with_that_id(user_client, user, king_runner):
    session_id = uuid.uuid4()

    response = user_client.put(session_url(session_id), session_body(king_runner))

    assert response.status_code == 201, response.json()
    assert response.json()["id"] == str(session_id)
    assert response["ETag"] == '"1"'
    assert response["Location"] == session_url(session_id)
    session = WorkoutSession.objects.get()
    assert (session.pk, session.user, session.sets.count()) == (session_id, user, 2)


def test_put_replaces_the_fields_and_all_the_sets(user_client, user, king_runner, band_march):
    session = session_with_sets(user, king_runner, sets=3, notes="Old.", perceived_effort=3)
    new_sets = [{"exercise": band_march.slug, "side": "both", "hold_seconds": 45}]

    response = user_client.put(
        session_url(session.pk),
        session_body(band_march, notes="New.", perceived_effort=8, sets=new_sets),
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["notes"] == "New."
    assert body["perceived_effort"] == 8
    assert body["started_at"] == "2025-03-01T07:00:00Z"
    assert [(s["exercise"], s["hold_seconds"]) for s in body["sets"]] == [(band_march.slug, 45)]
    assert body["version"] == 2
    assert response["ETag"] == '"2"'
    assert SetLog.objects.filter(session=session).count() == 1


def test_put_clears_optional_fields_it_leaves_out(user_client, user, king_runner):
    session = WorkoutSessionFactory(user=user, notes="Old.", perceived_effort=3)

    response = user_client.put(
        session_url(session.pk), {"started_at": "2025-03-01T07:00:00Z", "sets": []}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["notes"] == ""
    assert response.json()["perceived_effort"] is None
    assert response.json()["ended_at"] is None
    session.refresh_from_db()
    assert (session.notes, session.perceived_effort, session.ended_at) == ("", None, None)


def test_put_with_another_id_in_the_body_is_400_and_changes_nothing(user_client, user, king_runner):
    session = session_with_sets(user, king_runner, notes="Old.")
    unknown = uuid.uuid4()
    body = session_body(king_runner, id=str(uuid.uuid4()), notes="New.")

    assert error_fields(user_client.put(session_url(session.pk), body)) == {"id"}
    assert error_fields(user_client.put(session_url(unknown), body)) == {"id"}

    session.refresh_from_db()
    assert (session.notes, session.version, session.sets.count()) == ("Old.", 1, 2)
    assert WorkoutSession.objects.count() == 1


def test_put_with_the_same_id_in_the_body_is_fine(user_client, user, king_runner):
    session = WorkoutSessionFactory(user=user)

    response = user_client.put(
        session_url(session.pk), session_body(king_runner, id=str(session.pk))
    )

    assert response.status_code == 200, response.json()


def test_invalid_put_saves_nothing(user_client, user, king_runner):
    session = session_with_sets(user, king_runner, notes="Old.")
    body = session_body(king_runner, notes="New.", sets=[a_set(king_runner, pain=11)])

    assert error_fields(user_client.put(session_url(session.pk), body)) == {"sets.0.pain"}

    session.refresh_from_db()
    assert (session.notes, session.version, session.sets.count()) == ("Old.", 1, 2)


# Changing part with PATCH


def test_patch_changes_only_what_is_given(user_client, user, king_runner):
    session = session_with_sets(user, king_runner, sets=3, notes="Old.", perceived_effort=3)
    started_at = session.started_at

    response = user_client.patch(session_url(session.pk), {"perceived_effort": 9})

    assert response.status_code == 200, response.json()
    session.refresh_from_db()
    assert session.perceived_effort == 9
    assert session.notes == "Old."
    assert session.started_at == started_at
    assert session.sets.count() == 3
    assert response.json()["version"] == 2


def test_patch_with_sets_replaces_all_the_sets(user_client, user, king_runner, band_march):
    session = session_with_sets(user, king_runner, sets=3)
    new_sets = [
        a_set(band_march, side="right"),
        a_set(king_runner, side="both", reps=None, hold_seconds=30),
    ]

    response = user_client.patch(session_url(session.pk), {"sets": new_sets})

    assert response.status_code == 200, response.json()
    assert [(s["exercise"], s["side"]) for s in response.json()["sets"]] == [
        (band_march.slug, "right"),
        (king_runner.slug, "both"),
    ]
    assert SetLog.objects.filter(session=session).count() == 2


def test_patch_ending_before_the_stored_start_is_400(user_client, user):
    session = WorkoutSessionFactory(user=user, started_at=START, ended_at=None)

    response = user_client.patch(session_url(session.pk), {"ended_at": "2025-03-01T06:00:00Z"})

    assert error_fields(response) == {"ended_at"}
    session.refresh_from_db()
    assert session.ended_at is None


def test_patch_to_an_unknown_id_is_404_and_creates_nothing(user_client):
    response = user_client.patch(session_url(uuid.uuid4()), {"notes": "x"})

    assert response.status_code == 404
    assert WorkoutSession.objects.count() == 0


def test_every_change_raises_the_version_and_the_etag(user_client, user, king_runner):
    session = WorkoutSessionFactory(user=user)

    etags = [user_client.get(session_url(session.pk))["ETag"]]
    etags.append(user_client.patch(session_url(session.pk), {"notes": "a"})["ETag"])
    etags.append(user_client.put(session_url(session.pk), session_body(king_runner))["ETag"])
    etags.append(user_client.patch(session_url(session.pk), {"notes": "b"})["ETag"])

    assert etags == ['"1"', '"2"', '"3"', '"4"']
    session.refresh_from_db()
    assert session.version == 4


# Preconditions


@pytest.mark.parametrize(
    ("method", "body"),
    [("put", "full"), ("patch", {"notes": "New."}), ("delete", None)],
)
def test_stale_if_match_is_412_and_saves_nothing(user_client, user, king_runner, method, body):
    session = session_with_sets(user, king_runner, notes="Old.", version=3)
    if body == "full":
        body = session_body(king_runner, notes="New.", sets=[])

    response = getattr(user_client, method)(session_url(session.pk), body, HTTP_IF_MATCH='"2"')

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    session.refresh_from_db()
    assert (session.notes, session.version, session.sets.count()) == ("Old.", 3, 2)
    assert session.deleted_at is None


@pytest.mark.parametrize("if_match", ['"3"', "*", '"1", "3"'])
@pytest.mark.parametrize("method", ["put", "patch"])
def test_current_or_any_if_match_lets_the_change_through(
    user_client, user, king_runner, method, if_match
):
    session = WorkoutSessionFactory(user=user, version=3)

    response = getattr(user_client, method)(
        session_url(session.pk), session_body(king_runner, notes="New."), HTTP_IF_MATCH=if_match
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"4"'


def test_a_weak_if_match_never_licenses_a_write(user_client, user, king_runner):
    session = WorkoutSessionFactory(user=user, version=3)

    response = user_client.patch(session_url(session.pk), {"notes": "New."}, HTTP_IF_MATCH='W/"3"')

    assert response.status_code == 412
    session.refresh_from_db()
    assert session.version == 3


def test_current_if_match_lets_a_delete_through(user_client, user):
    session = WorkoutSessionFactory(user=user)

    response = user_client.delete(session_url(session.pk), HTTP_IF_MATCH='"1"')

    assert response.status_code == 204
    session.refresh_from_db()
    assert session.deleted_at is not None


@pytest.mark.parametrize("if_match", ['"1"', "*"])
def test_if_match_on_a_put_to_an_unknown_id_is_412(user_client, king_runner, if_match):
    response = user_client.put(
        session_url(uuid.uuid4()), session_body(king_runner), HTTP_IF_MATCH=if_match
    )

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert WorkoutSession.objects.count() == 0


# Deleting


def test_delete_leaves_a_tombstone_without_what_the_user_wrote(user_client, user, king_runner):
    session = session_with_sets(
        user, king_runner, sets=3, notes="Private thoughts.", perceived_effort=7
    )

    response = user_client.delete(session_url(session.pk))

    assert response.status_code == 204
    assert not response.content
    session.refresh_from_db()
    assert session.deleted_at is not None
    assert session.notes == ""
    assert session.perceived_effort is None
    assert session.version == 2
    assert SetLog.objects.filter(session_id=session.pk).count() == 0


def test_deleted_session_is_gone_to_every_method_but_delete(user_client, user, king_runner):
    session = WorkoutSessionFactory(user=user)
    user_client.delete(session_url(session.pk))
    url = session_url(session.pk)

    responses = {
        "get": user_client.get(url),
        "put": user_client.put(url, session_body(king_runner)),
        "patch": user_client.patch(url, {"notes": "Back?"}),
        "post": user_client.post(SESSIONS_URL, session_body(king_runner, id=str(session.pk))),
    }

    for method, response in responses.items():
        assert response.status_code == 410, method
        assert response.json()["code"] == "gone", method
    assert user_client.delete(url).status_code == 204
    session.refresh_from_db()
    assert session.version == 2
    assert session.sets.count() == 0
    assert ids(user_client.get(SESSIONS_URL)) == []


def test_delete_of_an_unknown_id_is_404(user_client):
    assert user_client.delete(session_url(uuid.uuid4())).status_code == 404
