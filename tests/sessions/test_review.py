"""Adherence and pain back to the trainer: the client list, the review queue with its flags
and acknowledgements, and the changes to programs proposed from pain and adherence, which
the trainer accepts or declines."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import RefreshToken

from hipflex_api.webhooks.models import Event
from sessions.models import ProposalDecision
from tests.conftest import api_client_for, bearer
from tests.factories import (
    AssignmentFactory,
    AssignmentItemFactory,
    CoachingLinkFactory,
    EndpointFactory,
    ExerciseFactory,
    ExerciseProgressionFactory,
    SetLogFactory,
    UserFactory,
    WorkoutSessionFactory,
)
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 2)
CLIENTS_URL = "/api/v1/coaching/clients/"
REVIEW_URL = "/api/v1/coaching/review/"
ACKNOWLEDGE_URL = f"{REVIEW_URL}acknowledge/"
INVITATIONS_URL = "/api/v1/coaching/invitations/"
MY_TRAINERS_URL = "/api/v1/me/trainers/"


def noon(day):
    return datetime.combine(day, time(12), UTC)


def at(day):
    """The clock at noon, UTC, of `day`."""
    return time_machine.travel(noon(day), tick=False)


@pytest.fixture
def half_kneeling(king_runner):
    """The King Runner's milder option."""
    milder = ExerciseFactory(name="Half-Kneeling Stretch", unilateral=True)
    ExerciseProgressionFactory(milder=milder, harder=king_runner)
    return milder


@pytest.fixture
def link(trainer):
    return CoachingLinkFactory(
        trainer=trainer, client=UserFactory(display_name="Ann"), started_at=noon(MONDAY)
    )


@pytest.fixture
def program(link, king_runner):
    """Monday to Friday from MONDAY: two sets per side of the King Runner."""
    program = AssignmentFactory(link=link, start_date=MONDAY, weekdays=0b0011111)
    AssignmentItemFactory(assignment=program, position=1, exercise=king_runner, sets=2)
    return program


def do(program, day, *, left=(0, 0), right=(0, 0), number=1, exercise=None):
    """A session for the program's time `number` of `day`, at noon UTC, with a done set per
    pain given on each side, uploaded then."""
    with at(day):
        return _do(program, day, left=left, right=right, number=number, exercise=exercise)


def _do(program, day, *, left, right, number, exercise):
    session = WorkoutSessionFactory(
        user=program.client,
        started_at=noon(day),
        assignment=program,
        occurrence_date=day,
        occurrence=number,
    )
    exercise = exercise or program.items.get().exercise
    sides = [("left", pain) for pain in left] + [("right", pain) for pain in right]
    for position, (side, pain) in enumerate(sides):
        SetLogFactory(session=session, position=position, exercise=exercise, side=side, pain=pain)
    return session


def test_adherence_counts_times_due_against_times_done_and_sets_per_side(link, program):
    for day in (0, 1, 7):
        do(program, MONDAY + timedelta(days=day))
    wednesday = do(program, MONDAY + timedelta(days=2))
    wednesday.sets.filter(side="right").update(done=False)  # The left side only.
    # Thursday, Friday and the next Tuesday missed; the next Wednesday is today, not done yet.
    client = api_client_for(link.client)

    with at(MONDAY + timedelta(days=9)):
        stats = client.get("/api/v1/me/stats/", {"start": str(MONDAY)}).json()["adherence"]

    assert (stats["occurrences_planned"], stats["occurrences_done"], stats["rate"]) == (
        7,
        4,
        0.571,
    )
    assert stats["missed_in_a_row"] == 1
    assert [
        (e["exercise"], e["side"], e["sets_planned"], e["sets_done"]) for e in stats["exercises"]
    ] == [
        ("king-runner", "left", 14, 8),
        ("king-runner", "right", 14, 6),
    ]


def test_todays_session_counts_as_soon_as_it_is_done(link, program):
    client = api_client_for(link.client)
    with at(MONDAY):
        before = client.get("/api/v1/me/stats/").json()["adherence"]
        do(program, MONDAY)
        after = client.get("/api/v1/me/stats/").json()["adherence"]

    assert (before["occurrences_planned"], before["rate"]) == (0, None)
    assert (after["occurrences_planned"], after["occurrences_done"]) == (1, 1)


def test_the_client_list_shows_adherence_the_last_session_pain_by_side_and_flags(
    trainer_client, link, program
):
    do(program, MONDAY + timedelta(days=7), left=(5, 6), right=(1, 0))
    do(program, MONDAY + timedelta(days=8))

    with at(MONDAY + timedelta(days=9)):
        [row] = trainer_client.get(CLIENTS_URL).json()["results"]

    assert row["id"] == str(link.pk)
    assert row["name"] == "Ann"
    # Thursday and Friday missed, Monday and Tuesday done; today is not over.
    week = row["last_7_days"]
    assert (week["occurrences_planned"], week["occurrences_done"]) == (4, 2)
    # The first week: five times due, none done.
    assert (
        row["last_28_days"]["occurrences_planned"],
        row["last_28_days"]["occurrences_done"],
    ) == (7, 2)
    assert row["last_session_at"] == "2026-11-10T12:00:00Z"
    assert row["worst_recent_pain"] == {"left": 6, "right": 1, "both": None}
    # Two of the seven times due in the last 14 days.
    assert [(f["reason"], f["sides"]) for f in row["flags"]] == [
        ("pain", ["left"]),
        ("low_adherence", []),
    ]


def test_the_detail_adds_adherence_per_side_week_by_week_and_the_pain_trend(
    trainer_client, link, program
):
    do(program, MONDAY, left=(2, 3), right=(0, 0))

    with at(MONDAY + timedelta(days=9)):
        body = trainer_client.get(f"{CLIENTS_URL}{link.pk}/").json()

    weeks = body["adherence_by_week"]
    assert len(weeks) == 8
    assert weeks[-2:] == [
        {"week_start": "2026-11-02", "occurrences_planned": 5, "occurrences_done": 1, "rate": 0.2},
        {"week_start": "2026-11-09", "occurrences_planned": 2, "occurrences_done": 0, "rate": 0.0},
    ]
    assert body["pain_by_week"][-2] == {
        "week_start": "2026-11-02",
        "left": 3,
        "right": 0,
        "both": None,
    }
    assert [(e["side"], e["sets_done"]) for e in body["adherence"]["exercises"]] == [
        ("left", 2),
        ("right", 2),
    ]


def _queue(trainer_client, day):
    with at(day):
        response = trainer_client.get(REVIEW_URL)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_review_queue_puts_pain_first_then_missed_times_then_inactivity(
    trainer, trainer_client, king_runner
):
    def client_with_program(name):
        link = CoachingLinkFactory(trainer=trainer, client=UserFactory(display_name=name))
        link.started_at = noon(MONDAY - timedelta(days=30))
        link.save()
        program = AssignmentFactory(link=link, start_date=MONDAY, weekdays=0b1111111)
        AssignmentItemFactory(assignment=program, exercise=king_runner, sets=1)
        return program

    sore, absent, steady = (client_with_program(n) for n in ("Sore", "Absent", "Steady"))
    today = MONDAY + timedelta(days=10)
    for day in range(10):
        do(steady, MONDAY + timedelta(days=day), left=(0,), right=(0,))
        do(sore, MONDAY + timedelta(days=day), left=(0,), right=(0,))
    # Yesterday's right side hurt.
    sore_session = sore.sessions.get(occurrence_date=MONDAY + timedelta(days=9))
    sore_session.sets.filter(side="right").update(pain=7)

    queue = _queue(trainer_client, today)

    assert [(item["name"], item["reason"]) for item in queue] == [
        ("Sore", "pain"),
        ("Absent", "missed"),
    ]
    assert queue[0]["flags"][0]["sides"] == ["right"]
    assert "7/10 on the right side" in queue[0]["flags"][0]["detail"]
    assert [f["reason"] for f in queue[1]["flags"]] == ["missed", "low_adherence", "inactive"]
    assert queue[1]["since"] == "2026-11-02T00:00:00Z"  # The first time it was due.
    assert absent.sessions.count() == 0


def test_an_acknowledged_flag_comes_back_only_when_something_new_happens(
    trainer_client, link, program
):
    do(program, MONDAY, left=(6, 0), right=(0, 0))
    for day in range(1, 5):
        do(program, MONDAY + timedelta(days=day))
    thursday = MONDAY + timedelta(days=3)
    assert [item["reason"] for item in _queue(trainer_client, thursday)] == ["pain"]

    with at(thursday):
        response = trainer_client.post(
            ACKNOWLEDGE_URL,
            {"client": str(link.pk), "reason": "pain", "note": "Called her: a slip, no harm."},
            format="json",
        )
    quiet = _queue(trainer_client, thursday + timedelta(days=1))
    do(program, MONDAY + timedelta(days=7), left=(4, 0), right=(0, 0))  # It hurts again.
    again = _queue(trainer_client, MONDAY + timedelta(days=7))

    assert response.status_code == 204, response.content
    assert quiet == []
    assert [item["reason"] for item in again] == ["pain"]
    assert link.acknowledgements.get().note == "Called her: a slip, no harm."


def test_acknowledging_needs_a_client_of_ones_own_and_a_known_reason(trainer_client, link):
    other = CoachingLinkFactory()

    unknown = trainer_client.post(
        ACKNOWLEDGE_URL, {"client": str(other.pk), "reason": "pain"}, format="json"
    )
    bad = trainer_client.post(
        ACKNOWLEDGE_URL, {"client": str(link.pk), "reason": "bored"}, format="json"
    )

    assert_error(unknown, 404, "not_found")
    assert assert_error(bad, 400, "invalid")["errors"][0]["field"] == "reason"
    assert not other.acknowledgements.exists()
    assert not link.acknowledgements.exists()


def _proposals(trainer_client, link, day):
    with at(day):
        response = trainer_client.get(f"{CLIENTS_URL}{link.pk}/proposals/")
    assert response.status_code == 200, response.content
    return response.json()


def _decide(trainer_client, link, day, choice, proposal):
    body = {k: proposal[k] for k in ("assignment", "position")}
    body["suggested"] = proposal["suggested"]["slug"]
    with at(day):
        return trainer_client.post(
            f"{CLIENTS_URL}{link.pk}/proposals/{choice}/", body, format="json"
        )


def test_pain_on_one_side_proposes_the_milder_option_and_accepting_swaps_it_keeping_the_dose(
    trainer_client, link, program, half_kneeling
):
    do(program, MONDAY, left=(0, 0), right=(3, 2))
    EndpointFactory(user=link.client, events=["assignment.changed"])

    [proposal] = _proposals(trainer_client, link, MONDAY + timedelta(days=1))
    accepted = _decide(trainer_client, link, MONDAY + timedelta(days=1), "accept", proposal)

    assert (proposal["kind"], proposal["painful_side"], proposal["suggested"]["slug"]) == (
        "milder",
        "right",
        "half-kneeling-stretch",
    )
    assert "right side" in proposal["reason"]
    assert accepted.status_code == 200, accepted.content
    item = accepted.json()["items"][0]
    assert (item["exercise"], item["sets"], item["reps_per_side"]) == (
        "half-kneeling-stretch",
        2,
        10,
    )
    assert accepted.json()["version"] == 2
    # The client's devices and apps hear of the swap as of any change of the program.
    told = Event.objects.get(type="assignment.changed")
    assert (told.data["id"], told.data["version"]) == (str(program.pk), 2)
    decision = ProposalDecision.objects.get()
    assert (decision.exercise.slug, decision.suggested.slug, decision.decision) == (
        "king-runner",
        "half-kneeling-stretch",
        "accepted",
    )
    # Decided: no longer proposed. A retry whose answer was lost gets the same answer; the
    # other decision, now, is a conflict.
    assert _proposals(trainer_client, link, MONDAY + timedelta(days=1)) == []
    again = _decide(trainer_client, link, MONDAY + timedelta(days=1), "accept", proposal)
    assert (again.status_code, again.json()) == (200, accepted.json())
    assert ProposalDecision.objects.count() == 1
    other = _decide(trainer_client, link, MONDAY + timedelta(days=1), "decline", proposal)
    assert_error(other, 409, "conflict")
    assert Event.objects.filter(type="assignment.changed").count() == 1


def test_a_declined_proposal_comes_back_only_after_a_new_session_of_it(
    trainer_client, link, program, half_kneeling
):
    do(program, MONDAY, right=(3, 0))
    [proposal] = _proposals(trainer_client, link, MONDAY)

    declined = _decide(trainer_client, link, MONDAY + timedelta(days=1), "decline", proposal)
    hidden = _proposals(trainer_client, link, MONDAY + timedelta(days=1))
    do(program, MONDAY + timedelta(days=2), right=(2, 0))
    back = _proposals(trainer_client, link, MONDAY + timedelta(days=2))

    assert declined.status_code == 200, declined.content
    assert declined.json()["items"][0]["exercise"] == "king-runner"
    assert hidden == []
    assert [p["kind"] for p in back] == ["milder"]


def test_a_harder_option_follows_two_good_weeks_and_never_while_pain_is_recent(
    trainer_client, link, program, half_kneeling
):
    easy = AssignmentFactory(link=link, start_date=MONDAY, weekdays=0b1111111)
    AssignmentItemFactory(assignment=easy, position=1, exercise=half_kneeling, sets=1)
    for day in range(15):
        do(easy, MONDAY + timedelta(days=day), left=(0,), right=(0,))

    ready = _proposals(trainer_client, link, MONDAY + timedelta(days=15))
    do(easy, MONDAY + timedelta(days=15), left=(1,), right=(0,))  # A little pain today.
    sore = _proposals(trainer_client, link, MONDAY + timedelta(days=15))

    assert [(p["kind"], p["exercise"]["slug"], p["suggested"]["slug"]) for p in ready] == [
        ("harder", "half-kneeling-stretch", "king-runner")
    ]
    assert "100% of the sets" in ready[0]["reason"]
    assert [p["kind"] for p in sore] == []


def test_a_harder_option_waits_for_adherence(trainer_client, link, half_kneeling):
    easy = AssignmentFactory(link=link, start_date=MONDAY, weekdays=0b1111111)
    AssignmentItemFactory(assignment=easy, position=1, exercise=half_kneeling, sets=1)
    for day in range(0, 15, 2):  # Every other day: about half.
        do(easy, MONDAY + timedelta(days=day), left=(0,), right=(0,))

    assert _proposals(trainer_client, link, MONDAY + timedelta(days=15)) == []


def _queries(trainer, url):
    # The trainer read afresh, as each request does: no permissions cached from the last.
    client = api_client_for(type(trainer).objects.get(pk=trainer.pk))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [CLIENTS_URL, REVIEW_URL])
def test_the_client_list_and_the_review_take_the_same_queries_however_many_clients(
    trainer, king_runner, half_kneeling, url
):
    def one_more(n):
        program = AssignmentFactory(
            link=CoachingLinkFactory(trainer=trainer), start_date=MONDAY, weekdays=0b1111111
        )
        AssignmentItemFactory(assignment=program, exercise=king_runner)
        for day in range(n):
            do(program, MONDAY + timedelta(days=day), left=(4,), right=(0,))

    one_more(1)
    with at(MONDAY + timedelta(days=5)):
        few = _queries(trainer, url)
        for n in range(2, 6):
            one_more(n)
        assert _queries(trainer, url) == few


def test_the_stored_queue_and_list_change_as_soon_as_something_does(trainer_client, link, program):
    do(program, MONDAY, left=(6, 0), right=(0, 0))
    with at(MONDAY + timedelta(days=1)):
        before = trainer_client.get(REVIEW_URL).json()["results"]
        listed = trainer_client.get(CLIENTS_URL).json()["results"][0]["last_session_at"]
        trainer_client.post(
            ACKNOWLEDGE_URL, {"client": str(link.pk), "reason": "pain"}, format="json"
        )
        after = trainer_client.get(REVIEW_URL).json()["results"]
        do(program, MONDAY + timedelta(days=1))
        relisted = trainer_client.get(CLIENTS_URL).json()["results"][0]["last_session_at"]

    assert [item["reason"] for item in before] == ["pain"]
    assert after == []
    assert (listed, relisted) == ("2026-11-02T12:00:00Z", "2026-11-03T12:00:00Z")


def test_a_finished_program_flags_nothing_and_proposes_nothing(trainer_client, link, half_kneeling):
    done_with = AssignmentFactory(link=link, start_date=MONDAY, end_date=MONDAY + timedelta(days=6))
    AssignmentItemFactory(assignment=done_with, exercise=half_kneeling.harder_options.get())
    for day in range(7):
        do(done_with, MONDAY + timedelta(days=day), left=(2,), right=(0,))

    assert _queue(trainer_client, MONDAY + timedelta(days=20)) == []
    assert _proposals(trainer_client, link, MONDAY + timedelta(days=8)) == []


def test_a_change_to_the_program_leaves_past_adherence_as_it_was(
    trainer_client, link, program, half_kneeling
):
    for day in range(3):
        do(program, MONDAY + timedelta(days=day))
    url = f"{CLIENTS_URL}{link.pk}/assignments/{program.pk}/"
    with at(MONDAY + timedelta(days=3)):
        # Twice a day, every day, from Thursday; and the milder option in place.
        body = {"times_per_day": 2, "days_of_week": [1, 2, 3, 4, 5, 6, 7]}
        assert trainer_client.patch(url, body, format="json").status_code == 200
    program.items.update(exercise=half_kneeling)

    with at(MONDAY + timedelta(days=3)):
        [row] = trainer_client.get(CLIENTS_URL).json()["results"]
        detail = trainer_client.get(f"{CLIENTS_URL}{link.pk}/").json()["adherence"]

    # Monday to Wednesday, once a day, all done: today is not over.
    assert (row["last_7_days"]["occurrences_planned"], row["last_7_days"]["rate"]) == (3, 1.0)
    # The King Runner's sets as the sessions planned them, not the milder option's.
    assert [(e["exercise"], e["side"], e["sets_done"]) for e in detail["exercises"]] == [
        ("king-runner", "left", 6),
        ("king-runner", "right", 6),
    ]


def _signed_in(user):
    return bearer(RefreshToken.for_user(user).access_token)


@pytest.mark.parametrize("url", [CLIENTS_URL, REVIEW_URL])
def test_a_trainer_s_list_read_again_unchanged_is_one_query(
    trainer, link, program, url, django_assert_num_queries
):
    do(program, MONDAY, left=(6, 0), right=(0, 0))
    with at(MONDAY + timedelta(days=1)):
        signed_in = _signed_in(trainer)
        first = signed_in.get(url)
        # The user row, with the coach permission and the numbers the list is made from.
        with django_assert_num_queries(1):
            again = signed_in.get(url)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(first.json()["results"]) == 1


def _names(client):
    return sorted(row["name"] for row in client.get(CLIENTS_URL).json()["results"])


def test_the_stored_list_follows_every_start_and_end_of_a_link(trainer, link):
    signed_in = _signed_in(trainer)
    listed = [_names(signed_in)]
    code = signed_in.post(INVITATIONS_URL, {}, format="json").json()["code"]
    newcomer = UserFactory(display_name="Bea")  # No change number of her own yet.
    joined = _signed_in(newcomer).post(MY_TRAINERS_URL, {"code": code}, format="json")
    listed.append(_names(signed_in))
    _signed_in(link.client).delete(f"{MY_TRAINERS_URL}{link.pk}/")
    listed.append(_names(signed_in))
    signed_in.delete(f"{CLIENTS_URL}{joined.json()['id']}/")
    listed.append(_names(signed_in))
    kept = CoachingLinkFactory(trainer=trainer, client=UserFactory(display_name="Cy"))
    listed.append(_names(signed_in))
    kept.delete()  # In the admin, say: deleted without ending first.
    listed.append(_names(signed_in))

    assert joined.status_code == 201
    assert listed == [["Ann"], ["Ann", "Bea"], ["Bea"], [], ["Cy"], []]
