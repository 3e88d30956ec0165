"""A phone that lost an answer sends the same request again; the retry must do no harm."""

import uuid

import pytest

from sessions.models import WorkoutSession
from tests.factories import SetLogFactory, WorkoutSessionFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/sessions/"


def detail_url(session_id):
    return f"{LIST_URL}{session_id}/"


def body(exercise, **overrides):
    return {
        "started_at": "2025-03-01T07:00:00Z",
        "ended_at": "2025-03-01T07:20:00Z",
        "notes": "Left hip tight.",
        "perceived_effort": 4,
        "sets": [{"exercise": exercise.slug, "side": "left", "hold_seconds": 30, "pain": 1}],
        **overrides,
    }


def test_a_put_retried_with_its_original_if_match_succeeds_without_a_second_change(
    user_client, user, king_runner
):
    session = WorkoutSessionFactory(user=user)
    url = detail_url(session.pk)
    first = user_client.put(url, body(king_runner), HTTP_IF_MATCH='"1"')
    assert first.status_code == 200
    assert first["ETag"] == '"2"'

    retry = user_client.put(url, body(king_runner), HTTP_IF_MATCH='"1"')

    assert retry.status_code == 200
    assert retry["ETag"] == '"2"'
    session.refresh_from_db()
    assert session.version == 2


def test_a_patch_retried_without_if_match_does_not_raise_the_version(
    user_client, user, king_runner
):
    session = WorkoutSessionFactory(user=user)
    for _ in range(3):
        response = user_client.patch(detail_url(session.pk), {"notes": "Done."})
        assert response.status_code == 200
    session.refresh_from_db()
    assert (session.version, session.notes) == (2, "Done.")


def test_a_real_change_with_a_stale_if_match_is_still_412(user_client, user, king_runner):
    session = WorkoutSessionFactory(user=user, version=3)
    response = user_client.patch(detail_url(session.pk), {"notes": "New."}, HTTP_IF_MATCH='"2"')
    assert response.status_code == 412
    session.refresh_from_db()
    assert session.version == 3


def test_a_put_retry_survives_its_exercise_being_unpublished_meanwhile(user_client, king_runner):
    session_id = uuid.uuid4()
    assert user_client.put(detail_url(session_id), body(king_runner)).status_code == 201
    king_runner.published = False
    king_runner.save()

    retry = user_client.put(detail_url(session_id), body(king_runner))

    assert retry.status_code == 200
    assert WorkoutSession.objects.get(pk=session_id).version == 1


def test_a_new_set_of_an_unpublished_exercise_is_still_refused(
    user_client, user, king_runner, band_march
):
    session = SetLogFactory(session=WorkoutSessionFactory(user=user), exercise=band_march).session
    king_runner.published = False
    king_runner.save()

    response = user_client.patch(detail_url(session.pk), {"sets": body(king_runner)["sets"]})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sets.0.exercise"


def test_put_creating_a_session_answers_with_its_location(user_client, king_runner):
    session_id = uuid.uuid4()
    response = user_client.put(detail_url(session_id), body(king_runner))
    assert response.status_code == 201
    assert response["Location"] == detail_url(session_id)


def test_a_session_id_must_be_written_the_canonical_way(user_client, user):
    session = WorkoutSessionFactory(user=user)
    hex_id = session.pk.hex
    scrambled = f"{hex_id[:4]}-{hex_id[4:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:]}"
    assert user_client.get(detail_url(scrambled)).status_code == 404
    assert user_client.get(detail_url(session.pk)).status_code == 200


def test_a_tombstone_keeps_nothing_the_user_wrote(user_client, user, king_runner):
    session = SetLogFactory(
        session=WorkoutSessionFactory(user=user, notes="Private.", perceived_effort=7),
        exercise=king_runner,
    ).session
    assert user_client.delete(detail_url(session.pk)).status_code == 204
    session.refresh_from_db()
    assert (session.notes, session.perceived_effort, session.sets.count()) == ("", None, 0)
