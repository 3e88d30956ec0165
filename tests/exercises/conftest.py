"""The catalog as the article seeds it, and reading exercise lists."""

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
