"""The admin on a trainer's 1366-pixel laptop screen: every change form and list fits its
width, so no column (a routine item's delete box, say) falls off the right-hand edge."""

import pytest
from django.core.management import call_command

from tests.factories import ExerciseFactory, RoutineFactory, RoutineItemFactory

WIDTH = 1366


def overflow(page) -> list[str]:
    """What sticks out past the window's right edge."""
    selector = ", ".join(f"#content {tag}" for tag in ("input", "select", "textarea", "th", "td"))
    return page.evaluate(
        """([selector, width]) => [...document.querySelectorAll(selector)]
            .filter(e => e.getBoundingClientRect().right > width + 1)
            .map(e => e.id || e.className || e.tagName)""",
        [selector, WIDTH],
    )


@pytest.fixture
def catalog(transactional_db):
    call_command("seed_catalog", verbosity=0)  # The list as `make run` shows it.
    routine = RoutineFactory(name="Morning hips")
    long_name = "Half-Kneeling Hip Flexor Stretch with a Reach Overhead"
    for n in range(3):
        RoutineItemFactory(routine=routine, exercise=ExerciseFactory(name=f"{long_name} {n}"))
    return routine


@pytest.mark.parametrize(
    "path",
    [
        "/admin/exercises/routine/{routine}/change/",
        "/admin/exercises/routine/",
        "/admin/exercises/exercise/{exercise}/change/",
        "/admin/exercises/exercise/",
    ],
)
def test_the_admin_fits_a_1366_pixel_screen(browser, trainer_with_password, catalog, path):
    browser.sign_in(trainer_with_password.email)
    exercise = catalog.items.first().exercise
    browser.go(path.format(routine=catalog.pk, exercise=exercise.pk))

    assert browser.page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert overflow(browser.page) == []
    # Nor is anything cut off inside a box of its own (the list's table scrolls in one).
    clipped = browser.page.evaluate(
        """[...document.querySelectorAll('#content div, #content fieldset, #content form')]
            .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0
                    && getComputedStyle(e).overflowX !== 'visible')
            .map(e => e.id || e.className || e.tagName)"""
    )
    assert clipped == []
