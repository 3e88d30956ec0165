"""GET /me/export/: the account's whole log, streamed as it is read, a chunk of sessions at a
time, in the document ExportSerializer describes."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from sessions import services
from sessions.models import SetLog, WorkoutSession
from sessions.serializers import ExportSerializer
from tests.conftest import ME_URL, api_client_for
from tests.factories import (
    AssignmentItemFactory,
    CoachingLinkFactory,
    ExerciseFactory,
    RoutineFactory,
    SetLogFactory,
    UserFactory,
    WorkoutSessionFactory,
)
from tests.helpers import assert_error, body_of, json_of

pytestmark = pytest.mark.django_db

EXPORT_URL = f"{ME_URL}export/"
NOW = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)


def many_sessions(user, count, *, sets=2):
    """`count` live sessions of `user` with `sets` sets each, written in bulk, three to a
    start time, so that chunks end inside a run of equal `started_at`. Their change numbers
    are far past those the user's counter hands the factory's sessions."""
    exercise = ExerciseFactory()
    sessions = [
        WorkoutSessionFactory.build(
            user=user, started_at=NOW - timedelta(hours=1 + n // 3), change_seq=10**6 + n
        )
        for n in range(count)
    ]
    WorkoutSession.objects.bulk_create(sessions)
    SetLog.objects.bulk_create(
        SetLogFactory.build(session=session, exercise=exercise, position=position)
        for session in sessions
        for position in range(sets)
    )
    return sessions


def old_answer(user):
    """The export as the view built it in memory before it streamed: ExportSerializer's data
    of every live session, rendered by DRF's JSONRenderer."""
    sessions = services.sessions_with_sets(WorkoutSession.objects.for_user(user).live())
    coaching = services.export_coaching(user=user)
    data = {**coaching, "user": user, "exported_at": timezone.now(), "sessions": sessions}
    return JSONRenderer().render(ExportSerializer(data).data)


@pytest.fixture
def logged(user):
    """Sessions of the user's, sets in them, a deleted one, and a stranger's."""
    stretch = ExerciseFactory(slug="king-runner", name="King Runner")
    morning = WorkoutSessionFactory(user=user, notes="Morning hips, ünïcode \u2028 too")
    SetLogFactory(session=morning, exercise=stretch, position=0, reps=8)
    SetLogFactory(session=morning, exercise=stretch, position=1, side="right", reps=9)
    earlier = WorkoutSessionFactory(
        user=user, started_at=timezone.now() - timedelta(days=2), ended_at=None
    )
    # Every field of a session and a set filled, and the nulls a reading could get wrong.
    planned = WorkoutSessionFactory(
        user=user,
        started_at=timezone.now() - timedelta(days=1),
        routine=RoutineFactory(owner=user),
        routine_name="Hips daily",
        perceived_effort=None,
    )
    SetLogFactory(
        session=planned,
        exercise=stretch,
        position=0,
        side="both",
        reps=None,
        hold_seconds=30,
        pain=3,
        notes='A "tight" one',
        done=False,
        rest_seconds=45,
    )
    deleted = WorkoutSessionFactory(user=user, deleted_at=timezone.now())
    strangers = WorkoutSessionFactory(user=UserFactory(), notes="not yours")
    SetLogFactory(session=strangers, exercise=stretch)
    return {
        "morning": morning,
        "planned": planned,
        "earlier": earlier,
        "deleted": deleted,
        "strangers": strangers,
    }


def test_export_is_byte_for_byte_the_document_it_was_before_streaming(user, logged):
    with time_machine.travel(NOW, tick=False):
        response = api_client_for(user).get(EXPORT_URL)
        expected = old_answer(user)

    assert response.status_code == 200
    assert body_of(response) == expected
    body = json_of(response)
    assert [s["id"] for s in body["sessions"]] == [
        str(logged["morning"].pk),
        str(logged["planned"].pk),
        str(logged["earlier"].pk),
    ]
    assert body["user"]["id"] == user.pk
    assert body["exported_at"] == "2026-03-02T23:30:00Z"


def test_export_is_streamed_json_with_a_dated_attachment_filename(user):
    user.time_zone = "Australia/Sydney"  # Already the 3rd of March there.
    user.save()

    with time_machine.travel(NOW, tick=False):
        response = api_client_for(user).get(EXPORT_URL)

    assert response.streaming
    assert response["Content-Type"] == "application/json"
    assert not response.has_header("Content-Length")
    assert response["Content-Disposition"] == (
        'attachment; filename="hipflex-export-2026-03-03.json"'
    )
    assert json_of(response)["sessions"] == []


def test_export_leaves_out_other_users_and_deleted_sessions(user, logged):
    body = body_of(api_client_for(user).get(EXPORT_URL)).decode()

    assert str(logged["deleted"].pk) not in body
    assert str(logged["strangers"].pk) not in body
    assert "not yours" not in body


def test_export_of_many_sessions_is_every_one_in_the_model_order(user):
    many_sessions(user, 1200)
    WorkoutSessionFactory(user=user, started_at=NOW - timedelta(hours=2), deleted_at=NOW)

    sessions = json_of(api_client_for(user).get(EXPORT_URL))["sessions"]

    expected = WorkoutSession.objects.for_user(user).live().values_list("id", flat=True)
    assert [s["id"] for s in sessions] == [str(pk) for pk in expected]
    assert len({s["id"] for s in sessions}) == 1200
    assert all(len(s["sets"]) == 2 for s in sessions)


def test_export_costs_two_queries_a_chunk_of_500_sessions(user, django_assert_num_queries):
    many_sessions(user, 1200)
    client = api_client_for(user)

    # The account's trainers, clients and programs (none); then 500, 500 and 200 sessions:
    # each chunk's sessions, then their sets with the slugs.
    with django_assert_num_queries(3 + 6):
        body = body_of(client.get(EXPORT_URL))

    assert len(json.loads(body)["sessions"]) == 1200


def test_chunks_split_runs_of_equal_start_times_without_losing_or_repeating_one(user):
    many_sessions(user, 10, sets=1)

    chunks = list(services.session_export_chunks(user=user, size=4))

    assert [len(chunk) for chunk in chunks] == [4, 4, 2]
    got = [session["id"] for chunk in chunks for session in chunk]
    assert got == list(WorkoutSession.objects.for_user(user).live().values_list("id", flat=True))


def test_a_full_last_chunk_costs_one_more_query_only(user, django_assert_num_queries):
    many_sessions(user, 8, sets=1)

    with django_assert_num_queries(2 + 2 + 1):  # Two chunks of 4, then an empty read.
        chunks = list(services.session_export_chunks(user=user, size=4))

    assert [len(chunk) for chunk in chunks] == [4, 4]


def test_head_answers_the_headers_without_reading_the_sessions(user, django_assert_num_queries):
    many_sessions(user, 3)

    with django_assert_num_queries(0):
        response = api_client_for(user).head(EXPORT_URL)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; ")
    assert body_of(response) == b""


def test_anonymous_export_is_a_json_401(api_client):
    response = api_client.get(EXPORT_URL)

    assert_error(response, 401, "not_authenticated")
    assert not response.streaming


def test_export_without_json_in_accept_is_a_json_406(user):
    response = api_client_for(user).get(EXPORT_URL, HTTP_ACCEPT="text/html")

    assert_error(response, 406, "not_acceptable")


def test_one_export_of_an_account_is_sent_at_a_time(user, other_user):
    many_sessions(user, 3)
    client = api_client_for(user)
    running = services.ExportSlot(user, iter(()))  # An export of the account being sent.

    second = client.get(EXPORT_URL)
    strangers = api_client_for(other_user).get(EXPORT_URL)

    assert_error(second, 429, "throttled")
    assert int(second["Retry-After"]) >= 1
    assert strangers.status_code == 200  # Another account's export is its own.
    json_of(strangers)
    running.close()  # As the server does once it has sent the answer.
    assert len(json_of(client.get(EXPORT_URL))["sessions"]) == 3


def test_an_export_cut_off_gives_its_slot_back(user):
    many_sessions(user, 3)
    client = api_client_for(user)
    cut = client.get(EXPORT_URL)
    next(iter(cut.streaming_content))  # The head only: the phone went away.

    cut.close()

    assert client.get(EXPORT_URL).status_code == 200


def test_the_benchs_plain_export_is_the_same_document(user, logged, monkeypatch):
    """bench/plain.py's `export-rows` switched off (model instances through the serializer)
    answers what the row reading does, so its gain in bench/README.md compares like with like."""
    from bench.plain import TRICKS
    from sessions import serializers

    many_sessions(user, 501)  # Two chunks, the second ending inside a run of equal starts.
    rows_way = services.session_export_chunks
    # Put back after the test whatever switch_off replaces.
    monkeypatch.setattr(services, "session_export_chunks", rows_way)
    monkeypatch.setattr(serializers, "export_readers", serializers.export_readers)
    with time_machine.travel(NOW, tick=False):
        rows = body_of(api_client_for(user).get(EXPORT_URL))
        TRICKS["export-rows"].switch_off()
        instances = body_of(api_client_for(user).get(EXPORT_URL))

    assert services.session_export_chunks is not rows_way
    assert len(json.loads(instances)["sessions"]) == 504
    assert instances == rows


def test_export_holds_the_persons_links_both_ways_and_their_programs_ended_ones_too(user):
    trainer = UserFactory(display_name="Sam")
    ended = CoachingLinkFactory(trainer=trainer, client=user)
    program = AssignmentItemFactory(assignment__link=ended, exercise=ExerciseFactory()).assignment
    services.assignment_end(assignment=program)
    ended.ended_at, ended.ended_by = timezone.now(), "client"
    ended.save()
    standing = CoachingLinkFactory(client=user)
    coached = CoachingLinkFactory(trainer=user, client=UserFactory(email="ben@example.com"))
    CoachingLinkFactory(
        trainer=user,
        started_at=timezone.now() - timedelta(days=9),
        ended_at=timezone.now(),
        ended_by="client",
    )

    body = json_of(api_client_for(user).get(EXPORT_URL))

    assert [(t["id"], t["trainer_name"], t["ended_by"]) for t in body["trainers"]] == [
        (str(standing.pk), standing.trainer.get_full_name(), ""),
        (str(ended.pk), "Sam", "client"),
    ]
    # Only the clients who share their log now.
    assert [(c["id"], c["email"]) for c in body["clients"]] == [
        (str(coached.pk), "ben@example.com")
    ]
    [exported] = body["assignments"]
    assert (exported["id"], len(exported["items"])) == (str(program.pk), 1)
    assert exported["ended_at"] is not None
