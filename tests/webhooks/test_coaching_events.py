"""The events of coaching: a program prescribed, changed or ended is told to the client's
endpoints and apps, and each program's week, once it is over in the client's time zone, to
them and to the trainer's own endpoints."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from standardwebhooks.webhooks import Webhook

from hipflex_api.webhooks.events import EventType
from hipflex_api.webhooks.models import Event
from sessions import services, tasks
from tests.conftest import api_client_for
from tests.factories import (
    AssignmentFactory,
    AssignmentItemFactory,
    CoachingLinkFactory,
    EndpointFactory,
    RoutineFactory,
    RoutineItemFactory,
    ServerAppFactory,
    SetLogFactory,
    UserFactory,
    WorkoutSessionFactory,
    app_token,
)
from tests.races import together

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = date(2026, 11, 30)
PROGRAM_EVENTS = ["assignment.created", "assignment.changed"]


@pytest.fixture
def link(trainer):
    return CoachingLinkFactory(trainer=trainer, client=UserFactory(display_name="Ann"))


@pytest.fixture
def routine(king_runner):
    routine = RoutineFactory(name="Hip flexor basics")
    RoutineItemFactory(routine=routine, position=1, exercise=king_runner, sets=2)
    return routine


def _program_url(link, program_id=""):
    base = f"/api/v1/coaching/clients/{link.pk}/assignments/"
    return f"{base}{program_id}/" if program_id else base


def _assign(trainer_client, link, routine):
    answer = trainer_client.post(
        _program_url(link), {"routine": routine.pk, "start_date": str(MONDAY)}, format="json"
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def _told(receiver, count, endpoint):
    verify = Webhook(endpoint.secret).verify
    return [verify(body, headers) for headers, body, _ in receiver.wait_for(count)]


def test_a_program_s_life_is_told_to_the_client_in_order(
    trainer, trainer_client, link, routine, receiver
):
    endpoint = EndpointFactory(user=link.client, url=receiver.url, events=PROGRAM_EVENTS)
    # The trainer's own endpoint hears of their own programs as a client only.
    EndpointFactory(user=trainer, url=receiver.url, events=PROGRAM_EVENTS)

    program = _assign(trainer_client, link, routine)
    changed = trainer_client.patch(
        _program_url(link, program["id"]), {"note": "Stop if it pinches."}, format="json"
    )
    ended = trainer_client.delete(_program_url(link, program["id"]))
    told = _told(receiver, 3, endpoint)

    assert (changed.status_code, ended.status_code) == (200, 204)
    assert [e["type"] for e in told] == ["assignment.created", *["assignment.changed"] * 2]
    assert {e["data"]["id"] for e in told} == {program["id"]}
    assert {e["data"]["user"] for e in told} == {link.client.pk}
    assert [e["data"]["version"] for e in told] == [1, 2, 3]
    sequences = [e["data"]["sequence"] for e in told]
    assert sequences == sorted(set(sequences))
    assert [e["data"]["deleted_at"] is None for e in told] == [True, True, False]
    # Thin, as session events: the note is the API's to answer, under the reader's scopes.
    assert "note" not in told[1]["data"]
    assert Event.objects.filter(deliveries__endpoint__user=trainer).count() == 0


def test_an_app_hears_a_client_s_programs_with_sessions_read(
    trainer_client, link, routine, receiver
):
    clinic, stats_only = ServerAppFactory(), ServerAppFactory()
    app_token(link.client, "sessions:read", app=clinic)
    app_token(link.client, "stats:read", app=stats_only)
    heard = EndpointFactory(user=None, app=clinic, url=receiver.url, events=PROGRAM_EVENTS)
    EndpointFactory(user=None, app=stats_only, url=receiver.url, events=PROGRAM_EVENTS)

    program = _assign(trainer_client, link, routine)
    [told] = _told(receiver, 1, heard)

    assert (told["type"], told["data"]["id"]) == ("assignment.created", program["id"])
    assert [d.endpoint for d in Event.objects.get().deliveries.all()] == [heard]


def test_ending_the_link_tells_the_client_its_programs_ended(link, routine, trainer_client):
    endpoint = EndpointFactory(user=link.client, events=["assignment.changed"])
    program = _assign(trainer_client, link, routine)

    ended = api_client_for(link.client).delete(f"/api/v1/me/trainers/{link.pk}/")

    assert ended.status_code == 204
    event = Event.objects.get(type="assignment.changed")
    assert event.data["id"] == program["id"]
    assert event.data["deleted_at"] is not None
    assert event.deliveries.get().endpoint == endpoint


def test_a_trainer_deleted_in_the_admin_tells_the_client_the_programs_ended(link):
    endpoint = EndpointFactory(user=link.client, events=["assignment.changed"])
    program = AssignmentFactory(link=link)

    link.trainer.delete()  # Not through the API: the link goes without ending first.

    event = Event.objects.get(type="assignment.changed")
    assert (event.data["id"], event.user_id) == (str(program.pk), link.client.pk)
    assert event.deliveries.get().endpoint == endpoint


def test_a_client_deleted_in_the_admin_leaves_no_event_behind(link):
    EndpointFactory(user=link.client, events=["assignment.changed"])
    AssignmentFactory(link=link)
    client_id = link.client.pk

    link.client.delete()  # Their programs end with the link, untold: the account is going.

    assert not Event.objects.exists()
    assert not type(link.client).objects.filter(pk=client_id).exists()


# The client's week, from MONDAY: a program every day, a set of the King Runner a side a time.
def _weekly_program(link, king_runner, **fields):
    program = AssignmentFactory(link=link, start_date=MONDAY, **fields)
    AssignmentItemFactory(assignment=program, position=1, exercise=king_runner, sets=1)
    return program


def _done(program, day, *, sets_done=2):
    session = WorkoutSessionFactory(
        user=program.client,
        started_at=datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo("UTC")),
        assignment=program,
        occurrence_date=day,
        occurrence=1,
    )
    for position in range(2):
        side = ("left", "right")[position]
        SetLogFactory(
            session=session,
            position=position,
            exercise=program.items.get().exercise,
            side=side,
            done=position < sets_done,
        )


def _weekly(at):
    with time_machine.travel(at, tick=False):
        return services.adherence_tell_weekly()


def test_a_program_s_week_is_told_once_to_the_client_and_the_trainer(trainer, link, king_runner):
    program = _weekly_program(link, king_runner)
    for day in (0, 1, 2):
        _done(program, MONDAY + timedelta(days=day))
    _done(program, MONDAY + timedelta(days=3), sets_done=1)  # The left side only.
    _done(program, MONDAY + timedelta(days=7))  # The next week's.
    mine = EndpointFactory(user=link.client, events=["adherence.weekly"])
    trainers = EndpointFactory(user=trainer, events=["adherence.weekly"])
    EndpointFactory(user=UserFactory(), events=["adherence.weekly"])

    told = _weekly("2026-12-07T12:00:00Z")
    again = _weekly("2026-12-07T13:00:00Z")

    assert (told, again) == (1, 0)
    event = Event.objects.get(type="adherence.weekly")
    assert {d.endpoint for d in event.deliveries.all()} == {mine, trainers}
    assert (event.user_id, event.data["assignment"]) == (link.client.pk, str(program.pk))
    assert event.data["client"] == str(link.pk)
    week = event.data["adherence"]
    assert (week["start"], week["end"]) == ("2026-11-30", "2026-12-06")
    assert (week["occurrences_planned"], week["occurrences_done"], week["rate"]) == (7, 4, 0.571)
    assert week["missed_in_a_row"] == 3
    by_side = {
        (e["exercise"], e["side"]): (e["sets_planned"], e["sets_done"]) for e in week["exercises"]
    }
    assert by_side == {(king_runner.slug, "left"): (7, 4), (king_runner.slug, "right"): (7, 3)}


def test_a_week_ends_at_midnight_in_the_client_s_time_zone(trainer, king_runner):
    auckland = CoachingLinkFactory(
        trainer=trainer, client=UserFactory(time_zone="Pacific/Auckland")
    )
    los_angeles = CoachingLinkFactory(
        trainer=trainer, client=UserFactory(time_zone="America/Los_Angeles")
    )
    for link in (auckland, los_angeles):
        _weekly_program(link, king_runner)
        EndpointFactory(user=link.client, events=["adherence.weekly"])

    # Sunday noon UTC: Monday already in Auckland, Sunday morning in Los Angeles.
    first = _weekly("2026-12-06T12:00:00Z")
    told_first = set(Event.objects.values_list("user_id", flat=True))
    later = _weekly("2026-12-07T09:00:00Z")  # Monday 01:00 in Los Angeles.

    assert (first, later) == (1, 1)
    assert told_first == {auckland.client.pk}
    assert Event.objects.count() == 2


def test_a_week_with_nothing_due_or_a_link_ended_tells_less(trainer, link, king_runner):
    """The program of a link ended counts its days up to the end, for the client only."""
    paused = _weekly_program(link, king_runner, paused_from=MONDAY - timedelta(days=1))
    later = _weekly_program(link, king_runner)
    later.start_date = MONDAY + timedelta(days=7)  # Nothing of it was due that week.
    later.save()
    with time_machine.travel("2026-11-29T12:00:00Z", tick=False):
        ended = CoachingLinkFactory(client=link.client)
    of_ended = _weekly_program(ended, king_runner)
    trainers = EndpointFactory(user=trainer, events=["adherence.weekly"])
    former = EndpointFactory(user=ended.trainer, events=["adherence.weekly"])
    mine = EndpointFactory(user=link.client, events=["adherence.weekly"])
    with time_machine.travel("2026-12-03T12:00:00Z", tick=False):
        api_client_for(link.client).delete(f"/api/v1/me/trainers/{ended.pk}/")

    told = _weekly("2026-12-07T12:00:00Z")

    assert told == 1
    event = Event.objects.get(type="adherence.weekly")
    assert event.data["assignment"] == str(of_ended.pk)
    assert event.data["adherence"]["occurrences_planned"] == 3  # Monday to Wednesday.
    assert "client" not in event.data
    assert [d.endpoint for d in event.deliveries.all()] == [mine]
    assert (trainers.deliveries.count(), former.deliveries.count()) == (0, 0)
    paused.refresh_from_db()
    later.refresh_from_db()
    assert (paused.adherence_told_until, later.adherence_told_until) == (date(2026, 12, 6), None)


def test_an_app_hears_a_week_with_stats_read(link, king_runner):
    _weekly_program(link, king_runner)
    clinic, sessions_only = ServerAppFactory(), ServerAppFactory()
    with time_machine.travel("2026-12-07T11:30:00Z", tick=False):  # Live then.
        app_token(link.client, "stats:read", app=clinic)
        app_token(link.client, "sessions:read", app=sessions_only)
    heard = EndpointFactory(user=None, app=clinic, events=["adherence.weekly"])
    EndpointFactory(user=None, app=sessions_only, events=["adherence.weekly"])

    _weekly("2026-12-07T12:00:00Z")

    assert [d.endpoint for d in Event.objects.get().deliveries.all()] == [heard]


def test_the_beat_task_tells_the_weeks(link, king_runner):
    _weekly_program(link, king_runner)
    EndpointFactory(user=link.client, events=["adherence.weekly"])

    with time_machine.travel("2026-12-07T12:00:00Z", tick=False):
        told = tasks.tell_weekly_adherence.delay().result

    assert told == 1
    assert Event.objects.get().type == EventType.ADHERENCE_WEEKLY


def test_the_command_tells_the_weeks_for_those_who_run_no_beat(link, king_runner, capsys):
    _weekly_program(link, king_runner)
    EndpointFactory(user=link.client, events=["adherence.weekly"])

    with time_machine.travel("2026-12-07T12:00:00Z", tick=False):
        call_command("tell_weekly_adherence")

    assert "Told 1 programs' weeks." in capsys.readouterr().out
    assert Event.objects.get().data["assignment"] == str(link.client.assignments.get().pk)


@pytest.mark.usefixtures("postgresql_only")
def test_two_runs_at_once_tell_a_week_once(link, king_runner):
    for _ in range(5):
        _weekly_program(link, king_runner)
    EndpointFactory(user=link.client, events=["adherence.weekly"])
    monday = datetime(2026, 12, 7, 12, tzinfo=ZoneInfo("UTC"))

    told = together(*[lambda: services.adherence_tell_weekly(now=monday)] * 2)

    assert sum(told) == 5
    assert Event.objects.filter(type="adherence.weekly").count() == 5
