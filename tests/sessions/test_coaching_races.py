"""Coaching's writes that race, on real threads against PostgreSQL with real commits: the
trainer's changes, the client's starts and either side ending the link or the account. Each
pair is also a test of lock order: a deadlock would be a 503 and a retry for somebody."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from hipflex_api.accounts.models import CoachingLink, User
from sessions.models import Assignment, ProposalDecision, WorkoutSession
from tests.conftest import ME_URL, api_client_for
from tests.factories import (
    AssignmentFactory,
    AssignmentItemFactory,
    CoachingLinkFactory,
    ExerciseFactory,
    ExerciseProgressionFactory,
    RoutineFactory,
    RoutineItemFactory,
    SetLogFactory,
    UserFactory,
    WorkoutSessionFactory,
)
from tests.races import together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql_only")]

PASSWORD = "a-long-password-for-races"
ROUNDS = 5


def _clients_url(link: CoachingLink, tail: str = "") -> str:
    return f"/api/v1/coaching/clients/{link.pk}/{tail}"


def _link(trainer: User) -> CoachingLink:
    return CoachingLinkFactory(trainer=trainer, client=UserFactory(password=PASSWORD))


def _program(link: CoachingLink, **fields: Any) -> Assignment:
    """Every day since three days ago, one King Runner set per side."""
    program = AssignmentFactory(
        link=link, start_date=timezone.localdate() - timedelta(days=3), **fields
    )
    AssignmentItemFactory(assignment=program, position=1, exercise=ExerciseFactory(unilateral=True))
    return program


def _start(link: CoachingLink, program: Assignment) -> Any:
    client = api_client_for(link.client)
    url = f"/api/v1/me/assignments/{program.pk}/start/"
    return lambda: client.post(url, {"id": str(uuid.uuid4())}, format="json")


def _end_link_by_client(link: CoachingLink) -> Any:
    client = api_client_for(link.client)
    return lambda: client.delete(f"/api/v1/me/trainers/{link.pk}/")


def _delete_account(user: User) -> Any:
    client = api_client_for(user)
    return lambda: client.delete(ME_URL, {"password": PASSWORD}, format="json")


def _patch(trainer: User, link: CoachingLink, program: Assignment) -> Any:
    client = api_client_for(trainer)
    url = _clients_url(link, f"assignments/{program.pk}/")
    return lambda: client.patch(url, {"note": "Slower on the way down."}, format="json")


def _no_live_programs(link: CoachingLink) -> bool:
    return not Assignment.objects.live().filter(link_id=link.pk).exists()


def test_two_starts_of_a_programs_one_time_make_one_session(trainer):
    for _ in range(ROUNDS):
        link = _link(trainer)
        program = _program(link)

        responses = together(_start(link, program), _start(link, program))

        assert sorted(r.status_code for r in responses) == [201, 409], [
            r.content for r in responses
        ]
        [refused] = [r for r in responses if r.status_code == 409]
        assert refused.json()["code"] == "occurrence_done"
        assert WorkoutSession.objects.filter(assignment=program).count() == 1


def test_two_starts_of_a_program_due_twice_a_day_take_one_time_each(trainer):
    for _ in range(ROUNDS):
        link = _link(trainer)
        program = _program(link, times_per_day=2)

        responses = together(_start(link, program), _start(link, program))

        assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
        assert sorted(r.json()["session"]["occurrence"] for r in responses) == [1, 2]


def test_starting_a_program_while_the_client_ends_the_link_leaves_no_program_running(trainer):
    for _ in range(ROUNDS):
        link = _link(trainer)
        program = _program(link)

        started, ended = together(_start(link, program), _end_link_by_client(link))

        assert ended.status_code == 204, ended.content
        # Started first, the session stands and keeps its program's id; second, the program
        # was gone already.
        assert started.status_code in {201, 404}, started.content
        assert WorkoutSession.objects.filter(assignment=program).count() == (
            started.status_code == 201
        )
        assert _no_live_programs(link)


def test_prescribing_while_the_client_ends_the_link_leaves_no_program_behind(trainer):
    routine = RoutineFactory()
    RoutineItemFactory(routine=routine)
    trainer_api = api_client_for(trainer)
    for _ in range(ROUNDS):
        link = _link(trainer)
        body = {"routine": routine.pk, "start_date": str(timezone.localdate())}

        def prescribe(link: CoachingLink = link, body: dict[str, Any] = body) -> Any:
            return trainer_api.post(_clients_url(link, "assignments/"), body, format="json")

        prescribed, ended = together(prescribe, _end_link_by_client(link))

        assert ended.status_code == 204, ended.content
        # Prescribed first, the end took it along; second, the link was ended or gone.
        assert prescribed.status_code in {201, 404, 409}, prescribed.content
        assert _no_live_programs(link)
        if prescribed.status_code == 201:
            assert Assignment.objects.get(pk=prescribed.json()["id"]).deleted_at is not None


@pytest.mark.parametrize("ender", ["client ends the link", "client deletes the account"])
def test_a_trainers_change_racing_the_clients_leaving_ends_with_no_program(trainer, ender):
    for _ in range(ROUNDS):
        link = _link(trainer)
        program = _program(link)
        leave = (
            _end_link_by_client(link)
            if ender == "client ends the link"
            else _delete_account(link.client)
        )

        changed, left = together(_patch(trainer, link, program), leave)

        assert left.status_code == 204, left.content
        assert changed.status_code in {200, 404}, changed.content
        assert _no_live_programs(link)


def test_a_clients_start_racing_the_trainers_account_deletion_ends_with_no_program(trainer):
    trainer.set_password(PASSWORD)
    trainer.save()
    link = _link(trainer)
    programs = [_program(link) for _ in range(3)]

    *starts, deleted = together(*(_start(link, p) for p in programs), _delete_account(trainer))

    assert deleted.status_code == 204, deleted.content
    assert {r.status_code for r in starts} <= {201, 404}, [r.content for r in starts]
    assert not Assignment.objects.live().filter(client=link.client).exists()
    assert WorkoutSession.objects.filter(user=link.client).count() == sum(
        r.status_code == 201 for r in starts
    )


def _painful_program(link: CoachingLink) -> tuple[Assignment, str]:
    """A program whose King Runner hurt on the right yesterday: its milder option is
    proposed. The option's slug."""
    program = _program(link)
    item = program.items.get()
    milder = ExerciseFactory(unilateral=True)
    ExerciseProgressionFactory(milder=milder, harder=item.exercise)
    yesterday = timezone.localdate() - timedelta(days=1)
    session = WorkoutSessionFactory(
        user=link.client,
        started_at=timezone.now() - timedelta(days=1),
        assignment=program,
        occurrence_date=yesterday,
        occurrence=1,
    )
    for position, (side, pain) in enumerate([("left", 0), ("right", 3)]):
        SetLogFactory(
            session=session, position=position, exercise=item.exercise, side=side, pain=pain
        )
    return program, milder.slug


def _decide(trainer: User, link: CoachingLink, program: Assignment, slug: str, choice: str):
    client = api_client_for(trainer)
    body = {"assignment": str(program.pk), "position": 1, "suggested": slug}
    url = _clients_url(link, f"proposals/{choice}/")
    return lambda: client.post(url, body, format="json")


def test_accept_racing_decline_of_one_proposal_records_one_decision(trainer):
    for _ in range(ROUNDS):
        link = _link(trainer)
        program, slug = _painful_program(link)

        responses = together(
            _decide(trainer, link, program, slug, "accept"),
            _decide(trainer, link, program, slug, "decline"),
        )

        assert sorted(r.status_code for r in responses) == [200, 409], [
            r.content for r in responses
        ]
        [decision] = ProposalDecision.objects.filter(assignment=program)
        accepted = decision.decision == "accepted"
        assert responses[0].status_code == (200 if accepted else 409)
        assert (program.items.get().exercise.slug == slug) == accepted


def test_accepting_a_proposal_racing_a_change_of_the_program_keeps_both(trainer):
    for _ in range(ROUNDS):
        link = _link(trainer)
        program, slug = _painful_program(link)

        accepted, changed = together(
            _decide(trainer, link, program, slug, "accept"), _patch(trainer, link, program)
        )

        assert (accepted.status_code, changed.status_code) == (200, 200), [
            accepted.content,
            changed.content,
        ]
        program.refresh_from_db()
        assert program.version == 3
        assert program.note == "Slower on the way down."
        assert program.items.get().exercise.slug == slug
