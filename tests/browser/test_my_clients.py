"""A trainer follows a client in the admin, in the browser: from "My clients" to the client's
page, whose two charts of the last eight weeks are drawn there, with nothing fetched."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    AssignmentFactory,
    AssignmentItemFactory,
    CoachingLinkFactory,
    ExerciseFactory,
    SetLogFactory,
    UserFactory,
    WorkoutSessionFactory,
)


def test_a_trainer_opens_a_clients_page_and_sees_the_two_charts(browser, trainer_with_password):
    client = UserFactory(display_name="Ann")
    link = CoachingLinkFactory(
        trainer=trainer_with_password, client=client, started_at=timezone.now() - timedelta(days=30)
    )
    today = timezone.localdate()
    program = AssignmentFactory(link=link, start_date=today - timedelta(days=14))
    stretch = ExerciseFactory(name="King Runner", unilateral=True)
    AssignmentItemFactory(assignment=program, position=1, exercise=stretch)
    for days_ago, pain in [(9, 2), (2, 5)]:
        day = today - timedelta(days=days_ago)
        session = WorkoutSessionFactory(
            user=client,
            started_at=timezone.now() - timedelta(days=days_ago),
            assignment=program,
            occurrence_date=day,
            occurrence=1,
        )
        for n, side in enumerate(["left", "right"]):
            SetLogFactory(session=session, position=n, exercise=stretch, side=side, pain=pain)

    browser.sign_in(trainer_with_password.email)
    browser.go("/admin/training_sessions/myclient/")
    # Every column on a trainer's 1366-pixel screen, as tests/browser/test_layout.py asks.
    columns = browser.page.locator("#result_list").bounding_box()
    assert columns["x"] + columns["width"] <= browser.page.viewport_size["width"]
    with browser.page.expect_navigation():
        browser.page.click("text=Ann")

    adherence = browser.page.locator("svg[data-chart=adherence]")
    pain = browser.page.locator("svg[data-chart=pain]")
    expect(adherence).to_be_visible()
    expect(pain).to_be_visible()
    expect(adherence.locator("rect.bar")).to_have_count(8)
    expect(pain.locator("circle.left")).to_have_count(3)  # Two weeks and the legend.
    # Drawn at its size, not squeezed, and the weeks done stand above the axis.
    box = adherence.bounding_box()
    assert box["width"] > 400
    assert box["height"] > 150
    heights = [bar.bounding_box()["height"] for bar in adherence.locator("rect.bar").all()]
    assert max(heights) > 0
