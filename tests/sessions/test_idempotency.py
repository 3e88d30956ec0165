"""Retried uploads: a client-chosen id, or an Idempotency-Key, makes a POST safe to repeat."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from hipflex_api.changes.counters import user_scope
from hipflex_api.changes.models import ChangeCounter
from hipflex_api.idempotency.models import IdempotencyRecord
from sessions.models import SetLog, WorkoutSession
from tests.conftest import SESSIONS_URL, session_body, session_url
from tests.factories import IdempotencyRecordFactory, WorkoutSessionFactory
from tests.helpers import assert_error, error_fields

pytestmark = pytest.mark.django_db


def unpublish(exercise):
    exercise.published = False
    exercise.save()


# Retrying with the same id


def test_post_with_a_stored_id_returns_the_stored_session_unaltered(user_client, king_runner):
    session_id = str(uuid.uuid4())
    first = user_client.post(SESSIONS_URL, session_body(king_runner, id=session_id))

    retry = user_client.post(
        SESSIONS_URL, session_body(king_runner, id=session_id, notes="Edited offline.", sets=[])
    )

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["ETag"] == '"1"'
    assert WorkoutSession.objects.count() == 1
    assert SetLog.objects.count() == 2
    assert WorkoutSession.objects.get().notes == "Morning hips."


def test_post_with_a_stored_id_returns_it_after_its_exercise_was_unpublished(
    user_client, king_runner
):
    body = session_body(king_runner, id=str(uuid.uuid4()))
    first = user_client.post(SESSIONS_URL, body)
    unpublish(king_runner)

    retry = user_client.post(SESSIONS_URL, body)

    assert retry.status_code == 200, retry.json()
    assert retry.json() == first.json()
    assert WorkoutSession.objects.count() == 1


def test_a_malformed_post_with_a_stored_id_is_told_what_is_wrong(user_client, king_runner):
    body = session_body(king_runner, id=str(uuid.uuid4()))
    assert user_client.post(SESSIONS_URL, body).status_code == 201
    del body["started_at"]
    unpublish(king_runner)  # Its slug is then a fault too, but not the only one.

    retry = user_client.post(SESSIONS_URL, body)

    body = assert_error(retry, 400, "invalid")
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"started_at", "sets.0.exercise", "sets.1.exercise"}
    assert WorkoutSession.objects.count() == 1


def test_post_with_a_stored_id_returns_its_latest_state(user_client, king_runner):
    body = session_body(king_runner, id=str(uuid.uuid4()))
    user_client.post(SESSIONS_URL, body)
    user_client.patch(session_url(body["id"]), {"notes": "Changed on the web."})

    retry = user_client.post(SESSIONS_URL, body)

    assert retry.status_code == 200
    assert retry.json()["notes"] == "Changed on the web."
    assert retry["ETag"] == '"2"'


def test_post_with_another_users_id_is_409_and_leaves_theirs_alone(
    user_client, other_user, king_runner
):
    theirs = WorkoutSessionFactory(user=other_user, notes="Theirs.")

    response = user_client.post(
        SESSIONS_URL, session_body(king_runner, id=str(theirs.pk), notes="Mine.")
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    theirs.refresh_from_db()
    assert (theirs.user, theirs.notes, theirs.version) == (other_user, "Theirs.", 1)
    assert theirs.sets.count() == 0
    assert WorkoutSession.objects.count() == 1


def test_post_with_the_id_of_another_users_deleted_session_is_409(
    user_client, other_client, other_user, king_runner
):
    theirs = WorkoutSessionFactory(user=other_user)
    other_client.delete(session_url(theirs.pk))

    response = user_client.post(SESSIONS_URL, session_body(king_runner, id=str(theirs.pk)))

    assert response.status_code == 409
    theirs.refresh_from_db()
    assert theirs.user == other_user


def test_a_retried_upload_takes_no_change_number_and_writes_nothing(user_client, user, king_runner):
    first = user_client.post(SESSIONS_URL, session_body(king_runner, id=str(uuid.uuid4())))
    assert first.status_code == 201
    counter = ChangeCounter.objects.get(scope=user_scope(user.pk)).value
    listed = user_client.get(SESSIONS_URL)

    retry = user_client.post(SESSIONS_URL, session_body(king_runner, id=first.json()["id"]))

    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert ChangeCounter.objects.get(scope=user_scope(user.pk)).value == counter
    assert user_client.get(SESSIONS_URL, HTTP_IF_NONE_MATCH=listed["ETag"]).status_code == 304
    assert (WorkoutSession.objects.count(), SetLog.objects.count()) == (1, 2)
    assert not IdempotencyRecord.objects.exists()


def test_an_invalid_retry_with_another_users_id_is_409(user_client, other_user, king_runner):
    theirs = WorkoutSessionFactory(user=other_user)

    response = user_client.post(
        SESSIONS_URL, session_body(king_runner, id=str(theirs.pk), sets="no")
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_an_invalid_retry_of_my_deleted_session_is_410(user_client, user, king_runner):
    mine = WorkoutSessionFactory(user=user)
    assert user_client.delete(session_url(mine.pk)).status_code == 204

    response = user_client.post(SESSIONS_URL, session_body(king_runner, id=str(mine.pk), sets="no"))

    assert response.status_code == 410
    assert response.json()["code"] == "gone"


def test_an_invalid_upload_with_a_new_id_is_400(user_client, king_runner):
    response = user_client.post(
        SESSIONS_URL, session_body(king_runner, id=str(uuid.uuid4()), sets="no")
    )

    assert error_fields(response) == {"sets"}
    assert not WorkoutSession.objects.exists()


# Retrying with an Idempotency-Key


def test_same_key_and_body_replays_the_first_response(user_client, king_runner):
    body = session_body(king_runner)
    first = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")

    retry = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert retry["ETag"] == first["ETag"]
    assert retry["Location"] == first["Location"]
    assert WorkoutSession.objects.count() == 1
    assert SetLog.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 1


def test_a_stored_id_under_a_new_key_returns_the_session_and_keeps_no_record(
    user_client, king_runner
):
    session_id = str(uuid.uuid4())
    body = session_body(king_runner, id=session_id)
    assert user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="first").status_code == 201

    retry = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="second")

    assert retry.status_code == 200
    assert retry.json()["id"] == session_id
    assert "Idempotent-Replayed" not in retry
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["first"]
    assert WorkoutSession.objects.count() == 1


def test_a_session_is_saved_only_with_the_record_of_its_key(user_client, king_runner, monkeypatch):
    # Saved without its record, a session would be saved again by a retry with the same key
    # and no id in the body: two copies of one workout.
    def fail(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(IdempotencyRecord.objects, "create", fail)

    with pytest.raises(DatabaseError):
        user_client.post(SESSIONS_URL, session_body(king_runner), HTTP_IDEMPOTENCY_KEY="upload-1")

    assert WorkoutSession.objects.count() == 0
    assert SetLog.objects.count() == 0


def test_same_body_with_its_keys_in_another_order_is_the_same_body(user_client, king_runner):
    body = session_body(king_runner)
    first = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")

    retry = user_client.post(
        SESSIONS_URL, dict(reversed(body.items())), HTTP_IDEMPOTENCY_KEY="upload-1"
    )

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]


def test_replay_is_the_first_response_even_after_the_session_changed(user_client, king_runner):
    body = session_body(king_runner)
    first = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")
    user_client.patch(first["Location"], {"notes": "Changed."})

    retry = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")

    assert retry.json() == first.json()
    assert retry["ETag"] == '"1"'


def test_replay_works_after_the_exercise_was_unpublished(user_client, king_runner):
    body = session_body(king_runner)
    first = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")
    unpublish(king_runner)

    retry = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")

    assert retry.status_code == 201, retry.json()
    assert retry.json() == first.json()
    assert WorkoutSession.objects.count() == 1


@pytest.mark.parametrize("how", ["through-the-api", "in-the-admin"])
def test_replay_after_the_session_was_deleted_is_410_as_a_post_of_its_id_is(
    user_client, king_runner, how
):
    body = session_body(king_runner)
    first = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")
    if how == "through-the-api":
        assert user_client.delete(first["Location"]).status_code == 204
    else:
        WorkoutSession.objects.filter(pk=first.json()["id"]).delete()

    retry = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")

    assert_error(retry, 410, "gone")
    assert "Idempotent-Replayed" not in retry
    if how == "through-the-api":
        with_its_id = user_client.post(SESSIONS_URL, {**body, "id": first.json()["id"]})
        assert_error(with_its_id, 410, "gone")


def test_same_key_with_another_body_is_422_and_saves_nothing(user_client, king_runner):
    user_client.post(SESSIONS_URL, session_body(king_runner), HTTP_IDEMPOTENCY_KEY="upload-1")

    response = user_client.post(
        SESSIONS_URL, session_body(king_runner, notes="Different."), HTTP_IDEMPOTENCY_KEY="upload-1"
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.json()["status"] == 422
    assert WorkoutSession.objects.count() == 1
    assert WorkoutSession.objects.get().notes == "Morning hips."


def test_key_belongs_to_its_user(user_client, other_client, user, other_user, king_runner):
    body = session_body(king_runner)
    mine = user_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")

    theirs = other_client.post(SESSIONS_URL, body, HTTP_IDEMPOTENCY_KEY="upload-1")

    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["id"] != mine.json()["id"]
    assert WorkoutSession.objects.filter(user=user).count() == 1
    assert WorkoutSession.objects.filter(user=other_user).count() == 1


def test_another_users_stored_record_is_never_replayed(user_client, other_user, king_runner):
    IdempotencyRecordFactory(
        user=other_user, key="upload-1", response_body={"id": str(uuid.uuid4()), "notes": "x"}
    )

    response = user_client.post(
        SESSIONS_URL, session_body(king_runner), HTTP_IDEMPOTENCY_KEY="upload-1"
    )

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert response.json()["notes"] == "Morning hips."


def test_refused_request_does_not_use_up_its_key(user_client, king_runner):
    bad = session_body(king_runner, perceived_effort=11)
    good = session_body(king_runner)

    refused = user_client.post(SESSIONS_URL, bad, HTTP_IDEMPOTENCY_KEY="upload-1")
    fixed = user_client.post(SESSIONS_URL, good, HTTP_IDEMPOTENCY_KEY="upload-1")

    assert refused.status_code == 400
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize(
    "key",
    ["has space", "k" * 256, "", "tab\there", "naïve"],
    ids=["space", "256-chars", "empty", "tab", "non-ascii"],
)
def test_malformed_key_is_400_and_saves_nothing(user_client, king_runner, key):
    response = user_client.post(SESSIONS_URL, session_body(king_runner), HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert WorkoutSession.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_key_of_255_printable_characters_is_accepted(user_client, king_runner):
    key = "a-Z_0.9~!" * 28 + "abc"
    assert len(key) == 255

    response = user_client.post(SESSIONS_URL, session_body(king_runner), HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().key == key


def test_an_expired_idempotency_key_can_be_used_again(user_client, king_runner):
    first = user_client.post(
        SESSIONS_URL, session_body(king_runner), HTTP_IDEMPOTENCY_KEY="morning-1"
    )
    assert first.status_code == 201
    IdempotencyRecord.objects.update(
        created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(hours=1)
    )

    again = user_client.post(
        SESSIONS_URL, session_body(king_runner), HTTP_IDEMPOTENCY_KEY="morning-1"
    )

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert again.json()["id"] != first.json()["id"]
