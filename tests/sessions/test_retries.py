"""A phone that lost an answer sends the same request again; the retry must do no harm."""

import uuid

import pytest

from sessions.models import WorkoutSession
from tests.conftest import a_set, session_body, session_url
from tests.factories import SetLogFactory, WorkoutSessionFactory

pytestmark = pytest.mark.django_db


def test_a_put_retried_with_its_original_if_match_succeeds_without_a_second_change(
    user_client, user, king_runner
):
    session = WorkoutSessionFactory(user=user)
    url = session_url(session.pk)
    first = user_client.put(url, session_body(king_runner), HTTP_IF_MATCH='"1"')
    assert first.status_code == 200
    assert first["ETag"] == '"2"'

    retry = user_client.put(url, session_body(king_runner), HTTP_IF_MATCH='"1"')

    assert retry.status_code == 200
    assert retry["ETag"] == '"2"'
    session.refresh_from_db()
    assert session.version == 2


def test_a_patch_retried_without_if_match_does_not_raise_the_version(
    user_client, user, king_runner
):
    session = WorkoutSessionFactory(user=user)
    for _ in range(3):
        response = user_client.patch(session_url(session.pk), {"notes": "Done."})
        assert response.status_code == 200
    session.refresh_from_db()
    assert (session.version, session.notes) == (2, "Done.")


def test_a_put_retry_survives_its_exercise_being_unpublished_meanwhile(user_client, king_runner):
    session_id = uuid.uuid4()
    assert user_client.put(session_url(session_id), session_body(king_runner)).status_code == 201
    king_runner.published = False
    king_runner.save()

    retry = user_client.put(session_url(session_id), session_body(king_runner))

    assert retry.status_code == 200
    assert WorkoutSession.objects.get(pk=session_id).version == 1


def test_a_new_set_of_an_unpublished_exercise_is_still_refused(
    user_client, user, king_runner, band_march
):
    session = SetLogFactory(session=WorkoutSessionFactory(user=user), exercise=band_march).session
    king_runner.published = False
    king_runner.save()

    response = user_client.patch(session_url(session.pk), {"sets": [a_set(king_runner)]})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sets.0.exercise"


def test_a_session_id_must_be_written_the_canonical_way(user_client, user):
    session = WorkoutSessionFactory(user=user)
    hex_id = session.pk.hex
    scrambled = f"{hex_id[:4]}-{hex_id[4:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:]}"
    assert user_client.get(session_url(scrambled)).status_code == 404
    assert user_client.get(session_url(session.pk)).status_code == 200
