"""Trainers follow their own clients in the admin: "My clients" with adherence, recent pain
and flags; each client's page with the last eight weeks as two charts; and their programs,
edited through the service that numbers each change for sync."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sessions.models import weekdays_of
from tests.conftest import browser_for
from tests.exercises.conftest import form_values
from tests.factories import (
    AssignmentFactory,
    AssignmentItemFactory,
    CoachingLinkFactory,
    ExerciseFactory,
    SetLogFactory,
    UserFactory,
    WorkoutSessionFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 2)
MY_CLIENTS = "/admin/training_sessions/myclient/"
PROGRAMS = "/admin/training_sessions/assignment/"


def noon(day):
    return datetime.combine(day, time(12), UTC)


def at(day):
    """The clock at noon, UTC, of `day`."""
    return time_machine.travel(noon(day), tick=False)


def client_url(link):
    return f"{MY_CLIENTS}{link.pk}/change/"


def program_url(program):
    return f"{PROGRAMS}{program.pk}/change/"


def done(program, day, *, left=0, right=0):
    """A session for the program's first time of `day`, at noon UTC, with a set of its one
    exercise on each side, hurting as much as given."""
    session = WorkoutSessionFactory(
        user=program.client,
        started_at=noon(day),
        assignment=program,
        occurrence_date=day,
        occurrence=1,
    )
    exercise = program.items.get().exercise
    for position, (side, pain) in enumerate([("left", left), ("right", right)]):
        SetLogFactory(session=session, position=position, exercise=exercise, side=side, pain=pain)


@pytest.fixture
def link(trainer):
    client = UserFactory(display_name="Ann", email="ann@example.com")
    return CoachingLinkFactory(trainer=trainer, client=client, started_at=noon(MONDAY))


@pytest.fixture
def program(link):
    """Monday to Thursday from MONDAY: one set per side of a one-sided stretch."""
    program = AssignmentFactory(
        link=link, name="Hip reset", start_date=MONDAY, weekdays=weekdays_of([1, 2, 3, 4])
    )
    exercise = ExerciseFactory(name="King Runner", unilateral=True)
    AssignmentItemFactory(assignment=program, position=1, exercise=exercise, sets=1)
    return program


@pytest.fixture
def followed(program):
    """Week one: Monday and Tuesday done, painless (2 of 4, 50 %); week two: Monday done,
    hurting 6 on the left and 2 on the right. Read on the Tuesday of week two."""
    done(program, MONDAY)
    done(program, MONDAY + timedelta(days=1))
    done(program, MONDAY + timedelta(days=7), left=6, right=2)
    with at(MONDAY + timedelta(days=8)):
        yield program


def other_trainers_link():
    return CoachingLinkFactory(
        trainer=UserFactory(is_staff=True), client=UserFactory(display_name="Bob")
    )


def test_my_clients_lists_the_trainers_own_clients_only(trainer_browser, link):
    theirs = other_trainers_link()
    ended = CoachingLinkFactory(
        trainer=link.trainer,
        client=UserFactory(display_name="Cid"),
        started_at=noon(MONDAY),
        ended_at=noon(MONDAY + timedelta(days=1)),
        ended_by="client",
    )

    page = trainer_browser.get(MY_CLIENTS)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Ann" in html
    assert "ann@example.com" in html
    assert "Bob" not in html
    assert "Cid" not in html
    assert trainer_browser.get(client_url(theirs)).status_code == 404
    assert trainer_browser.get(client_url(ended)).status_code == 404


def test_my_clients_shows_adherence_the_last_session_pain_by_side_and_flags(
    trainer_browser, followed
):
    html = trainer_browser.get(MY_CLIENTS).content.decode()

    # Last 7 days: Wednesday and Thursday missed, Monday done (today is not over): 1 of 3.
    # Last 28: 3 of 5.
    cells = re.findall(r'<td class="field-(\w+)[^"]*">(.*?)</td>', html)
    assert dict(cells) == {
        "email": "ann@example.com",
        "last_7_days": "33%",
        "last_28_days": "60%",
        "last_session": "Nov. 9, 2026, noon",
        "worst_pain": "6 / 2",
        "open_flags": '<span title="Reported pain in the last 7 days: 6/10 on the left side.">'
        "pain</span>",
    }


def test_a_client_with_nothing_due_shows_dashes(trainer_browser, link):
    html = trainer_browser.get(MY_CLIENTS).content.decode()

    cells = dict(re.findall(r'<td class="field-(\w+)[^"]*">(.*?)</td>', html))
    assert cells["last_7_days"] == cells["last_28_days"] == cells["worst_pain"] == "—"


def drawn(html, chart, group, tag):
    """The attributes of the `tag` in the group of `chart` whose attributes start `group`."""
    svg = re.search(rf'<svg class="chart" data-chart="{chart}".*?</svg>', html, re.S).group()
    inside = re.search(rf"<g {group}>(.*?)</g>", svg, re.S).group(1)
    return dict(re.findall(r'([\w-]+)="([^"]*)"', re.search(rf"<{tag} [^>]*>", inside).group()))


def test_a_clients_page_charts_adherence_and_pain_per_week(trainer_browser, followed, link):
    page = trainer_browser.get(client_url(link))

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<svg class="chart"') == 2
    assert '<title id="adherence-title">Adherence per week' in html
    # Bars 120 pixels high at 100 %: week one's 50 % is 60, week two's Monday alone 120.
    week_one = drawn(html, "adherence", f'data-week="{MONDAY}"', "rect")
    assert (week_one["height"], week_one["y"]) == ("60.0", "84.0")
    week_two = MONDAY + timedelta(days=7)
    assert drawn(html, "adherence", f'data-week="{week_two}"', "rect")["height"] == "120.0"
    # Nothing was due the week before the program began: no bar.
    week_before = MONDAY - timedelta(days=7)
    assert drawn(html, "adherence", f'data-week="{week_before}"', "rect")["height"] == "0.0"
    # Pain from 0 at the bottom (y 144) to 10 at the top (y 24): 6 is at 72, 2 at 120.
    left, right = (f'data-side="{side}" data-week="{week_two}"' for side in ("left", "right"))
    assert drawn(html, "pain", left, "circle")["cy"] == "72.0"
    assert drawn(html, "pain", right, "rect")["y"] == "120.0"
    assert drawn(html, "pain", f'data-side="left" data-week="{MONDAY}"', "circle")["cy"] == "144.0"
    assert "Left side, week of 9 Nov: worst pain 6 of 10" in html


def test_a_clients_page_shows_flags_and_links_to_their_programs(trainer_browser, followed, link):
    html = trainer_browser.get(client_url(link)).content.decode()

    assert "Reported pain in the last 7 days: 6/10 on the left side" in html
    assert f'href="{program_url(followed)}"' in html
    assert "Hip reset" in html


def _edit(browser, program, *, days=None, **fields):
    """Post the program's change form as a browser would, with `fields` changed. The days
    ticked are the program's unless given (form_values keeps one box of a name)."""
    url = program_url(program)
    data = form_values(browser.get(url).content.decode())
    data["days_of_week"] = [str(day) for day in (program.days_of_week if days is None else days)]
    data.update(fields)
    return browser.post(url, data)


def test_editing_a_programs_dose_and_days_changes_it_for_sync(trainer_browser, program):
    before = (program.version, program.change_seq)

    response = _edit(trainer_browser, program, days=[1, 3, 5], **{"items-0-sets": "3"})

    assert response.status_code == 302, response.content.decode()
    program.refresh_from_db()
    assert program.days_of_week == [1, 3, 5]
    assert program.items.get().sets == 3
    assert program.version == before[0] + 1
    assert program.change_seq > before[1]


def test_pausing_a_program_in_the_admin_pauses_it(trainer_browser, program):
    with at(MONDAY + timedelta(days=3)):
        _edit(trainer_browser, program, paused="on")

    program.refresh_from_db()
    assert program.paused_from == MONDAY + timedelta(days=3)


def test_saving_a_program_unchanged_gives_no_new_version(trainer_browser, program):
    before = (program.version, program.change_seq)

    assert _edit(trainer_browser, program).status_code == 302

    program.refresh_from_db()
    assert (program.version, program.change_seq) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"end_date": str(MONDAY - timedelta(days=1))}, "The end date must not be before"),
        ({"times_per_day": "9"}, "Times per day must be from 1 to 6"),
        ({"items-0-reps_per_side": ""}, "Give reps per side, a hold time, or both."),
        ({"days_of_week": []}, "This field is required."),
    ],
    ids=["end-before-start", "times-per-day", "no-reps-nor-hold", "no-day"],
)
def test_an_invalid_edit_is_refused_on_the_form_and_changes_nothing(
    trainer_browser, program, fields, message
):
    before = (program.version, program.change_seq)

    response = _edit(trainer_browser, program, **{"items-0-sets": "3", **fields})

    assert response.status_code == 200
    html = response.content.decode()
    assert "errornote" in html
    assert message in html
    program.refresh_from_db()
    assert program.end_date is None
    assert program.times_per_day == 1
    assert program.items.get().sets == 1
    assert (program.version, program.change_seq) == before


def test_an_edit_the_service_refuses_changes_nothing_and_says_why(
    trainer_browser, program, settings
):
    settings.MAX_SETS_PER_SESSION = 4
    before = (program.version, program.change_seq)

    response = _edit(trainer_browser, program, days=[1], **{"items-0-sets": "3"})

    assert response.status_code == 302
    page = trainer_browser.get(response.url).content.decode()
    assert "Nothing was changed: This program would plan 6 sets a session" in page
    program.refresh_from_db()
    assert program.days_of_week == [1, 2, 3, 4]
    assert program.items.get().sets == 1
    assert (program.version, program.change_seq) == before


def test_an_edit_on_top_of_a_change_saved_meanwhile_is_refused_and_changes_nothing(
    trainer_browser, program
):
    url = program_url(program)
    opened = form_values(trainer_browser.get(url).content.decode())
    # Meanwhile the same trainer, in another tab, sets three sets.
    assert _edit(trainer_browser, program, **{"items-0-sets": "3"}).status_code == 302
    program.refresh_from_db()
    after_first = (program.version, program.change_seq)

    response = trainer_browser.post(
        url, {**opened, "days_of_week": ["1"], "note": "Only Mondays now."}
    )

    assert response.status_code == 302
    page = trainer_browser.get(response.url).content.decode()
    assert "Nothing was changed: This program was changed after you opened it" in page
    program.refresh_from_db()
    assert (program.version, program.change_seq) == after_first
    assert program.items.get().sets == 3
    assert (program.days_of_week, program.note) == ([1, 2, 3, 4], "")
    # The page shows it as it is now: saved from there, the edit goes through.
    assert _edit(trainer_browser, program, days=[1]).status_code == 302
    program.refresh_from_db()
    assert (program.days_of_week, program.version) == ([1], after_first[0] + 1)


def test_another_trainers_program_is_404_and_stays_unchanged(trainer_browser, program):
    theirs = AssignmentFactory(link=other_trainers_link())
    AssignmentItemFactory(assignment=theirs, position=1)
    ended = AssignmentFactory(link=program.link, deleted_at=timezone.now())

    html = trainer_browser.get(PROGRAMS).content.decode()

    assert "Hip reset" in html
    assert theirs.name not in html
    assert ended.name not in html
    assert trainer_browser.get(program_url(theirs)).status_code == 404
    response = trainer_browser.post(program_url(theirs), {"days_of_week": ["1"], "note": "x"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.note == ""
    assert trainer_browser.get(program_url(ended)).status_code == 404


def test_staff_who_do_not_coach_see_neither_clients_nor_programs(program):
    browser = browser_for(UserFactory(is_staff=True))

    assert browser.get(MY_CLIENTS).status_code == 403
    assert browser.get(client_url(program.link)).status_code in {403, 404}
    assert browser.get(program_url(program)).status_code in {403, 404}


def _queries(trainer):
    # The trainer read afresh, as each request does: no permissions cached from the last.
    browser = browser_for(type(trainer).objects.get(pk=trainer.pk))
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(MY_CLIENTS).status_code == 200
    return len(queries)


def test_my_clients_takes_the_same_queries_for_one_client_as_for_five(trainer):
    def one_more(n):
        program = AssignmentFactory(link=CoachingLinkFactory(trainer=trainer), start_date=MONDAY)
        AssignmentItemFactory(assignment=program, exercise=ExerciseFactory(unilateral=True))
        for day in range(n):
            done(program, MONDAY + timedelta(days=day), left=4)

    one_more(1)
    with at(MONDAY + timedelta(days=5)):
        few = _queries(trainer)
        for n in range(2, 6):
            one_more(n)
        assert _queries(trainer) == few
