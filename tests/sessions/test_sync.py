"""GET /api/v1/sync/: what changed since a device last synced, a page at a time."""

import base64
import json

import pytest

from sessions.models import WorkoutSession
from tests.conftest import (
    SESSIONS_URL,
    SYNC_URL,
    exercise_url,
    session_url,
    upload_session,
)
from tests.factories import (
    AssignmentFactory,
    AssignmentItemFactory,
    CoachingLinkFactory,
    ExerciseFactory,
    SetLogFactory,
    WorkoutSessionFactory,
)
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def sync(client, since=None, **params):
    if since is not None:
        params["since"] = since
    response = client.get(SYNC_URL, params)
    assert response.status_code == 200, response.json()
    return response.json()


def session_ids(page):
    return [item["id"] for item in page["sessions"]]


def deleted_ids(page):
    return [item["id"] for item in page["deleted_sessions"]]


def exercise_slugs(page):
    return [item["slug"] for item in page["exercises"]]


def cursor(**data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def test_first_sync_hands_over_everything(user_client, user, other_user, king_runner, band_march):
    live = WorkoutSessionFactory(user=user, notes="Kept.")
    SetLogFactory(session=live, exercise=king_runner, position=0)
    deleted = WorkoutSessionFactory(user=user)
    user_client.delete(session_url(deleted.pk))
    WorkoutSessionFactory(user=other_user)

    page = sync(user_client)

    assert set(page) == {
        "sessions",
        "deleted_sessions",
        "assignments",
        "deleted_assignments",
        "exercises",
        "removed_exercises",
        "next_cursor",
        "has_more",
    }
    assert session_ids(page) == [str(live.pk)]
    assert page["sessions"][0]["notes"] == "Kept."
    assert page["sessions"][0]["sets"][0]["exercise"] == king_runner.slug
    assert page["deleted_sessions"] == [
        {
            "id": str(deleted.pk),
            "deleted_at": page["deleted_sessions"][0]["deleted_at"],
            "version": 2,
        }
    ]
    assert page["deleted_sessions"][0]["deleted_at"]
    assert exercise_slugs(page) == [king_runner.slug, band_march.slug]
    assert page["exercises"][0]["name"] == "King Runner"
    assert page["removed_exercises"] == []
    assert page["has_more"] is False
    assert page["next_cursor"]


def test_first_sync_does_not_name_draft_exercises(user_client, king_runner):
    draft = ExerciseFactory(name="Secret Draft Stretch", published=False)

    page = sync(user_client)

    assert exercise_slugs(page) == [king_runner.slug]
    assert draft.slug not in page["removed_exercises"]


def test_first_sync_over_several_pages_never_names_draft_exercises(user_client):
    published = [ExerciseFactory(), ExerciseFactory(published=False), ExerciseFactory()]
    del published[1]
    ExerciseFactory(published=False)

    seen, removed, since = [], [], None
    while True:
        page = sync(user_client, since, limit=1)
        seen += exercise_slugs(page)
        removed += page["removed_exercises"]
        since = page["next_cursor"]
        if not page["has_more"]:
            break
    draft = ExerciseFactory(published=False)
    later = sync(user_client, since)

    assert seen == [e.slug for e in published]
    assert removed == []
    # Nor does a later sync: a draft that was never published is nobody's business.
    assert later["removed_exercises"] == []
    assert draft.slug not in exercise_slugs(later)


def test_nothing_changed_gives_an_empty_page_and_the_same_cursor(user_client, user, king_runner):
    WorkoutSessionFactory(user=user)
    first = sync(user_client)

    again = sync(user_client, first["next_cursor"])

    assert again == {
        "sessions": [],
        "deleted_sessions": [],
        "assignments": [],
        "deleted_assignments": [],
        "exercises": [],
        "removed_exercises": [],
        "next_cursor": first["next_cursor"],
        "has_more": False,
    }


def test_after_a_cursor_each_change_shows_up_once_in_its_latest_state(
    user_client, user, king_runner
):
    untouched = WorkoutSessionFactory(user=user)
    updated = WorkoutSessionFactory(user=user, notes="Before.")
    deleted = WorkoutSessionFactory(user=user)
    since = sync(user_client)["next_cursor"]

    created = upload_session(user_client, king_runner)
    user_client.patch(session_url(updated.pk), {"notes": "After."})
    user_client.delete(session_url(deleted.pk))
    created_then_edited = upload_session(user_client, king_runner, notes="First draft.")
    user_client.patch(session_url(created_then_edited), {"notes": "Final."})
    created_then_deleted = upload_session(user_client, king_runner)
    user_client.delete(session_url(created_then_deleted))
    page = sync(user_client, since)

    assert session_ids(page) == [created, str(updated.pk), created_then_edited]
    assert str(untouched.pk) not in session_ids(page)
    notes = {item["id"]: item["notes"] for item in page["sessions"]}
    assert notes[str(updated.pk)] == "After."
    assert notes[created_then_edited] == "Final."
    assert page["sessions"][1]["version"] == 2
    assert deleted_ids(page) == [str(deleted.pk), created_then_deleted]
    assert page["exercises"] == []
    assert page["next_cursor"] != since


def test_unpublishing_an_exercise_puts_its_slug_in_removed_exercises(user_client, king_runner):
    since = sync(user_client)["next_cursor"]

    king_runner.published = False
    king_runner.save()
    page = sync(user_client, since)

    assert page["removed_exercises"] == [king_runner.slug]
    assert page["exercises"] == []


def test_republishing_an_exercise_brings_it_back(user_client, king_runner):
    king_runner.published = False
    king_runner.save()
    since = sync(user_client)["next_cursor"]

    king_runner.published = True
    king_runner.save()
    page = sync(user_client, since)

    assert exercise_slugs(page) == [king_runner.slug]
    assert page["removed_exercises"] == []


def test_an_exercise_edited_by_a_trainer_shows_up_changed(
    user_client, trainer_client, king_runner, band_march
):
    since = sync(user_client)["next_cursor"]

    response = trainer_client.patch(
        exercise_url(king_runner.slug), {"summary": "Opens the front of the hip."}
    )
    page = sync(user_client, since)

    assert response.status_code == 200, response.json()
    assert exercise_slugs(page) == [king_runner.slug]
    assert page["exercises"][0]["summary"] == "Opens the front of the hip."


def test_an_exercise_saved_on_the_model_shows_up_changed(user_client, king_runner, band_march):
    since = sync(user_client)["next_cursor"]

    band_march.summary = "Edited in the admin."
    band_march.save()
    page = sync(user_client, since)

    assert exercise_slugs(page) == [band_march.slug]


def test_paging_hands_over_each_session_exactly_once(user_client, user):
    sessions = [WorkoutSessionFactory(user=user) for _ in range(5)]

    seen, since, pages = [], None, 0
    while True:
        page = sync(user_client, since, limit=2)
        seen += session_ids(page)
        since, pages = page["next_cursor"], pages + 1
        assert len(page["sessions"]) <= 2
        if not page["has_more"]:
            break
    last = sync(user_client, since, limit=2)

    assert seen == [str(s.pk) for s in sessions]
    assert pages == 3
    assert last["sessions"] == []
    assert last["has_more"] is False
    assert last["next_cursor"] == since


def test_changes_made_between_pages_arrive_on_a_later_page(user_client, user, king_runner):
    first, second, third, fourth, fifth = (WorkoutSessionFactory(user=user) for _ in range(5))
    page = sync(user_client, limit=2)
    assert session_ids(page) == [str(first.pk), str(second.pk)]

    user_client.patch(session_url(first.pk), {"notes": "Edited after it was sent."})
    user_client.patch(session_url(fourth.pk), {"notes": "Edited before it was sent."})
    created = upload_session(user_client, king_runner)
    user_client.delete(session_url(third.pk))
    seen, deleted, since = [], [], page["next_cursor"]
    while page["has_more"]:
        page = sync(user_client, since, limit=2)
        seen += session_ids(page)
        deleted += deleted_ids(page)
        since = page["next_cursor"]

    assert seen == [str(fifth.pk), str(first.pk), str(fourth.pk), created]
    assert deleted == [str(third.pk)]


def test_other_users_sessions_never_appear(user_client, other_client, other_user, king_runner):
    theirs = WorkoutSessionFactory(user=other_user)
    since = sync(user_client)["next_cursor"]
    other_client.patch(session_url(theirs.pk), {"notes": "Edited."})
    doomed = WorkoutSessionFactory(user=other_user)
    other_client.delete(session_url(doomed.pk))

    first_sync = sync(user_client)
    later = sync(user_client, since)

    for page in (first_sync, later):
        assert page["sessions"] == []
        assert page["deleted_sessions"] == []
    assert WorkoutSession.objects.filter(user=other_user).count() == 2


def test_limit_defaults_to_100(user_client, user):
    WorkoutSessionFactory.create_batch(101, user=user)

    page = sync(user_client)

    assert len(page["sessions"]) == 100
    assert page["has_more"] is True
    assert len(sync(user_client, page["next_cursor"])["sessions"]) == 1


def test_limit_500_is_allowed(user_client, user):
    WorkoutSessionFactory(user=user)

    assert len(sync(user_client, limit=500)["sessions"]) == 1


@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten", "2.5"])
def test_bad_limit_is_400(user_client, limit):
    response = user_client.get(SYNC_URL, {"limit": limit})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["limit"]


@pytest.mark.parametrize(
    "since",
    [
        "garbage!",
        "é",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        cursor(s=1),
        cursor(s=-1, c=0),
        cursor(s=1, c="2"),
        cursor(s=True, c=0),
        cursor(s=1.5, c=0),
        cursor(s=10**30, c=0),
        cursor(s=0, c=2**63),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'"s"').decode(),
        base64.urlsafe_b64encode(b"[" * 100_000).decode(),
        cursor(s={"s": 1}, c=0),
        cursor(s=1, c=2, x=3),
        cursor(s=1, c=2, pad="x" * 100),
    ],
    ids=[
        "not-base64",
        "non-ascii",
        "not-utf8",
        "missing-catalog",
        "negative",
        "string-number",
        "boolean",
        "fraction",
        "huge-sessions",
        "catalog-past-bigint",
        "a-list",
        "a-string",
        "deeply-nested",
        "nested-number",
        "another-key",
        "longer-than-any-cursor",
    ],
)
def test_garbage_or_tampered_since_is_400(user_client, user, since):
    WorkoutSessionFactory(user=user)

    response = user_client.get(SYNC_URL, {"since": since})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["since"]


@pytest.mark.parametrize("limit", [2, 50])
def test_a_sync_page_costs_seven_queries_whatever_its_size(
    user_client, user, king_runner, band_march, django_assert_num_queries, limit
):
    link = CoachingLinkFactory(client=user)
    for n in range(60):
        session = WorkoutSessionFactory(user=user)
        SetLogFactory(session=session, exercise=king_runner if n % 2 else band_march, position=0)
        SetLogFactory(session=session, exercise=band_march, position=1)
        if n % 10 == 0:
            program = AssignmentFactory(link=link)
            AssignmentItemFactory.create_batch(2, assignment=program, exercise=band_march)
    ExerciseFactory.create_batch(3)

    # The versions of the user's logs and of the catalog (one query), changed sessions, all
    # their sets with exercise slugs, changed programs with their trainers' names, all their
    # items, changed and deleted exercises; the same page again, the versions.
    with django_assert_num_queries(7):
        page = sync(user_client, limit=limit)
    with django_assert_num_queries(1):
        assert sync(user_client, limit=limit) == page

    # Sessions and programs share the user's change numbers: the page takes the first
    # `limit` of them together.
    assert len(page["sessions"]) + len(page["assignments"]) == limit
    assert len(page["assignments"]) == (1 if limit == 2 else 5)
    assert all(len(item["items"]) == 2 for item in page["assignments"])
    assert len(page["exercises"]) == min(limit, 5)
    assert all(len(item["sets"]) == 2 for item in page["sessions"])


def test_deleting_a_published_exercise_reaches_removed_exercises(user_client, trainer_client):
    gone = ExerciseFactory(name="Gone Stretch")
    since = sync(user_client)["next_cursor"]

    assert trainer_client.delete(exercise_url(gone.slug)).status_code == 204
    page = sync(user_client, since)

    assert page["removed_exercises"] == [gone.slug]
    assert sync(user_client, page["next_cursor"])["removed_exercises"] == []


def test_deleting_a_draft_leaves_no_trace_in_sync(user_client, trainer_client):
    draft = ExerciseFactory(name="Draft Stretch", published=False)
    since = sync(user_client)["next_cursor"]

    assert trainer_client.delete(exercise_url(draft.slug)).status_code == 204

    assert sync(user_client, since)["removed_exercises"] == []


def test_unpublishing_during_a_first_sync_is_reported_on_a_later_page(user_client):
    exercises = ExerciseFactory.create_batch(3)
    first = sync(user_client, limit=1)
    shown = first["exercises"][0]["slug"]
    withdrawn = next(e for e in exercises if e.slug == shown)
    withdrawn.published = False
    withdrawn.save()

    removed, since = [], first["next_cursor"]
    while True:
        page = sync(user_client, since, limit=1)
        removed += page["removed_exercises"]
        since = page["next_cursor"]
        if not page["has_more"]:
            break

    assert removed == [shown]


def test_an_empty_cursor_counts_as_left_out_but_an_empty_number_is_refused(user_client, user):
    WorkoutSessionFactory(user=user)
    page = sync(user_client, since="")
    assert len(page["sessions"]) == 1
    listed = user_client.get(SESSIONS_URL, {"cursor": ""})
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == 1

    for url, number in ((SYNC_URL, "limit"), (SESSIONS_URL, "page_size")):
        body = assert_error(user_client.get(url, {number: ""}), 400, "invalid")
        assert [(e["field"], e["code"]) for e in body["errors"]] == [(number, "blank")]


def test_an_unchanged_sync_page_is_a_304(user_client, user):
    WorkoutSessionFactory(user=user)
    first = user_client.get(SYNC_URL)

    again = user_client.get(SYNC_URL, HTTP_IF_NONE_MATCH=first["ETag"])
    WorkoutSessionFactory(user=user)
    changed = user_client.get(SYNC_URL, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert changed.status_code == 200
    assert len(changed.json()["sessions"]) == 2


def test_one_users_cached_sync_page_is_never_anothers(user_client, other_client, user):
    WorkoutSessionFactory(user=user)
    mine = user_client.get(SYNC_URL)

    theirs = other_client.get(SYNC_URL)

    assert len(mine.json()["sessions"]) == 1
    assert theirs.json()["sessions"] == []
    assert mine["ETag"] != theirs["ETag"]
