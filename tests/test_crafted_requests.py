"""Crafted requests (too many parameters, a bad Host, numbers of thousands of digits, any text
in any query parameter) are refused in the one JSON error shape, never with a 500."""

import base64
import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies

from hipflex_api.pagination import MAX_QUERY_INTEGER
from tests.conftest import EXERCISES_URL, SESSIONS_URL, SYNC_URL
from tests.factories import ExerciseFactory, WorkoutSessionFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

# One past what Django reads (DATA_UPLOAD_MAX_NUMBER_FIELDS): about 2 KB of query.
TOO_MANY_FIELDS = "&".join(["a"] * 1001)
THOUSANDS_OF_DIGITS = "9" * 5000


@pytest.fixture(params=[False, True], ids=["production", "development"])
def debug(request, settings):
    """Each test under both profiles: DEBUG on, Django would answer with its debug page."""
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    ("url", "signed_in"),
    [
        (EXERCISES_URL, False),  # The catalog's fast path, before DRF (exercises.catalog_cache).
        ("/api/v1/muscles/", True),
        (SESSIONS_URL, True),
        ("/api/v1/no-such-endpoint/", False),
    ],
    ids=["catalog-fast-path", "catalog-signed-in", "private-list", "unknown-url"],
)
def test_more_query_parameters_than_django_reads_is_a_json_400(
    api_client, user, debug, url, signed_in
):
    ExerciseFactory()
    if signed_in:
        api_client.force_authenticate(user)
    # The catalog's cache holds the list's page, which the fast path would answer from.
    assert api_client.get(url).status_code in {200, 404}

    response = api_client.get(f"{url}?{TOO_MANY_FIELDS}")

    body = assert_error(response, 400, "bad_request")
    assert body["detail"] == "More than 1000 query parameters."
    assert response["X-Request-ID"]


def test_a_bad_host_under_api_is_a_json_400_on_every_profile(api_client, debug):
    response = api_client.get(EXERCISES_URL, HTTP_HOST="evil.example.com")

    body = assert_error(response, 400, "bad_request")
    assert "Host" in body["detail"]


def test_a_bad_host_outside_api_is_still_djangos_own_page(api_client, debug):
    response = api_client.get("/admin/", HTTP_HOST="evil.example.com")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("url", "name", "maximum"),
    [
        (EXERCISES_URL, "page", MAX_QUERY_INTEGER),
        (EXERCISES_URL, "page_size", 100),
        (SESSIONS_URL, "page_size", 100),
        (SYNC_URL, "limit", 500),
    ],
)
@pytest.mark.parametrize("digits", [THOUSANDS_OF_DIGITS, str(MAX_QUERY_INTEGER + 1)])
def test_a_whole_number_past_the_parameters_maximum_is_a_400_naming_it(
    user_client, url, name, maximum, digits
):
    response = user_client.get(url, {name: digits})

    body = assert_error(response, 400, "invalid")
    assert body["errors"] == [
        {
            "field": name,
            "code": "out_of_range",
            "message": f"Must be a whole number from 1 to {maximum}.",
        }
    ]


def test_leading_zeros_do_not_count_against_a_number(user_client, user):
    WorkoutSessionFactory.create_batch(2, user=user)

    response = user_client.get(SESSIONS_URL, {"page_size": "0" * 5000 + "1"})

    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 1


# Every list's query parameters, as the committed schema names them, with whether the list
# is public (so that an anonymous request takes the catalog's fast path).
def _lists():
    schema = yaml.safe_load(Path("openapi.yaml").read_text())
    for path, item in schema["paths"].items():
        operation = item.get("get", {})
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if names:
            yield pytest.param(path, names, {} in operation["security"], id=path)


# Any text, and text of the shapes the parameters take, whatever its content: digits (up to
# thousands of them), times (at the ends of the calendar too, in any zone), and the two
# cursors' encodings (base64 of JSON for `since`, of a query string for `cursor`).
# Often at the lengths where numbers break: past a 64-bit integer's, past what int() reads.
_LENGTH = strategies.sampled_from([19, 20, 4301]) | strategies.integers(1, 6000)
_TIME = strategies.datetimes(timezones=strategies.none() | strategies.timezones()).map(
    datetime.isoformat
)
_JSON = strategies.recursive(
    strategies.none() | strategies.booleans() | strategies.integers() | strategies.text(),
    lambda inner: strategies.lists(inner) | strategies.dictionaries(strategies.text(), inner),
)
_ANY_TEXT = strategies.one_of(
    strategies.text(),
    strategies.builds(str.__mul__, strategies.sampled_from("0123456789"), _LENGTH),
    _TIME,
    _JSON.map(lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).decode()),
    strategies.dictionaries(strategies.sampled_from("opr"), _TIME | strategies.text()).map(
        lambda position: base64.b64encode(urlencode(position).encode()).decode()
    ),
)


@pytest.mark.parametrize(("url", "names", "public"), list(_lists()))
@settings(
    max_examples=40,
    deadline=None,
    database=None,  # No .hypothesis/ folder in the repository.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=strategies.data())
def test_any_text_in_any_query_parameter_is_answered_in_json_never_a_500(
    api_client, user, url, names, public, data
):
    api_client.force_authenticate(None if public else user)
    known = data.draw(
        strategies.lists(strategies.tuples(strategies.sampled_from(names), _ANY_TEXT), min_size=1)
    )
    extra = data.draw(
        strategies.lists(strategies.tuples(strategies.text(min_size=1), _ANY_TEXT), max_size=2)
    )

    response = api_client.get(f"{url}?{urlencode(known + extra)}")

    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/json"
    if response.status_code >= 400:
        assert_error(response, response.status_code, response.json()["code"])
