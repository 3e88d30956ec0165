"""The catalog as the article seeds it, and reading exercise lists."""

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command

# The slugs of the article's exercises, in the order its routine does them.
ARTICLE_ORDER = [
    "strengthener-with-a-band",
    "half-kneeling-stretch",
    "king-runner",
    "gravity-assisted-stretch",
]


def seed_catalog():
    call_command("seed_catalog", verbosity=0)


def slugs(response):
    """The slugs of a page of the exercise list, in its order."""
    assert response.status_code == 200, response.json()
    return [item["slug"] for item in response.json()["results"]]


@pytest.fixture
def seeded(db):
    seed_catalog()


def publishable(exercise):
    """`exercise` given what publishing asks of it: a step, a primary muscle, a dose and a
    caution (exercises.services.publish_problems)."""
    from tests.factories import ExerciseCautionFactory, ExerciseMuscleFactory, ExerciseStepFactory

    ExerciseStepFactory(exercise=exercise)
    ExerciseMuscleFactory(exercise=exercise)
    ExerciseCautionFactory(exercise=exercise)
    if not (exercise.sets or exercise.reps_per_side or exercise.hold_seconds):
        exercise.reps_per_side = 10
        exercise.save(update_fields=["reps_per_side"])
    return exercise


def inline_prefixes(html: str) -> list[str]:
    return re.findall(r'name="([\w-]+)-TOTAL_FORMS"', html)


def admin_form_data(html: str, fields: dict, inlines: dict[str, list[dict]]) -> dict:
    """The add/change form as a browser would post it: every inline, most of them empty."""
    data = {"_save": "Save", **fields}
    for prefix in inline_prefixes(html):
        rows = inlines.get(prefix, [])
        initial = len(re.findall(rf'name="{prefix}-\d+-id"[^>]*value="\d+"', html))
        data[f"{prefix}-TOTAL_FORMS"] = str(max(len(rows), initial))
        data[f"{prefix}-INITIAL_FORMS"] = str(initial)
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for index, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{index}-{key}"] = value
    return data


EXERCISE_CHANGELIST = "/admin/exercises/exercise/"
EXERCISE_ADD = f"{EXERCISE_CHANGELIST}add/"

# An exercise as the admin's form posts it.
EXERCISE_FIELDS = {
    "name": "Standing March",
    "slug": "standing-march",
    "kind": "strengthen",
    "summary": "Lifts one knee at a time.",
    "difficulty": "1",
    "unilateral": "on",
    "reps_per_side": "10",
    "sets": "",
    "hold_seconds": "",
    "prescription_note": "",
    "published": "on",
}


class _FormValues(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") not in {"checkbox", "radio"} or "checked" in a:
                self.values[name] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_values(html: str) -> dict[str, str]:
    """What a browser would post from the page's form, as it was served (a revision's, say)."""
    parser = _FormValues()
    parser.feed(html)
    return {**parser.values, "_save": "Save"}
