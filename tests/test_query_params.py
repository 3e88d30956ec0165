"""Every operation reads the query parameters its schema documents, and refuses any other:
no typo passes for a filter, and no junk parameter makes a new cached answer."""

import re
from pathlib import Path

import pytest
import yaml
from django.core.cache import caches
from drf_spectacular.generators import EndpointEnumerator

from hipflex_api.query_params import UNKNOWN, _operation, query_parameters
from tests.conftest import EXERCISES_URL, SESSIONS_URL, SYNC_URL
from tests.factories import ExerciseFactory, SetLogFactory, WorkoutSessionFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def _template(path):
    return re.sub(r"\{[^}]+\}", "{}", path)  # The router's {pk} is the schema's {id}.


def _documented():
    schema = yaml.safe_load(Path("openapi.yaml").read_text())
    return {
        (_template(path), method): {
            p["name"] for p in op.get("parameters", []) if p["in"] == "query"
        }
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }


def test_every_operation_reads_exactly_the_query_parameters_its_schema_documents():
    documented = _documented()
    checked = 0
    for path, _regex, method, view in EndpointEnumerator().get_api_endpoints():
        if (operation := _operation(view, method.lower())) is None:
            continue
        key = (_template(path), method.lower())
        assert key in documented, key
        assert query_parameters(*operation) == documented[key], key
        checked += 1
    assert checked == len(documented)


def test_a_parameter_the_operation_does_not_read_is_a_400_naming_it(api_client):
    ExerciseFactory()

    response = api_client.get(EXERCISES_URL, {"dificulty": "2", "kind": "stretch", "zz": ""})

    body = assert_error(response, 400, "invalid")
    assert body["errors"] == [
        {"field": "dificulty", "code": "unknown", "message": UNKNOWN},
        {"field": "zz", "code": "unknown", "message": UNKNOWN},
    ]


def test_a_thousand_requests_with_junk_parameters_add_no_cached_answer(api_client):
    ExerciseFactory()
    assert api_client.get(EXERCISES_URL).status_code == 200
    before = len(caches["default"]._cache)

    statuses = {api_client.get(EXERCISES_URL, {f"junk{n}": "1"}).status_code for n in range(1000)}

    assert statuses == {400}
    assert len(caches["default"]._cache) == before


def test_one_answer_whatever_the_order_of_its_parameters(api_client):
    ExerciseFactory(kind="stretch", difficulty=1)
    one = api_client.get(EXERCISES_URL, {"kind": "stretch", "difficulty": "1"})
    before = len(caches["default"]._cache)

    other = api_client.get(f"{EXERCISES_URL}?difficulty=1&kind=stretch")

    assert one["ETag"] == other["ETag"]
    assert len(caches["default"]._cache) == before


def test_an_answer_past_the_size_ceiling_is_answered_not_kept(user_client, user, settings):
    settings.CACHE_MAX_BODY_BYTES = 200
    SetLogFactory(session=WorkoutSessionFactory(user=user, notes="x" * 300))
    before = len(caches["default"]._cache)

    first = user_client.get(SESSIONS_URL)

    assert first.status_code == 200
    assert len(caches["default"]._cache) == before
    assert user_client.get(SESSIONS_URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


@pytest.mark.parametrize("method", ["trace", "options"])
def test_a_method_that_is_no_operation_is_answered_as_before_whatever_its_query(
    user_client, method
):
    response = user_client.generic(method.upper(), f"{SYNC_URL}?limit=100&since=")

    assert response.status_code == (405 if method == "trace" else 200)


def test_a_head_reads_what_its_get_reads(user_client):
    assert user_client.head(SYNC_URL, {"limit": "100"}).status_code == 200
    assert user_client.head(SYNC_URL, {"junk": "1"}).status_code == 400
