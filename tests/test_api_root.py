"""GET /api/v1/: the index that links every collection of the API and its docs."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from drf_spectacular.generators import EndpointEnumerator

from hipflex_api.api_root import MAX_AGE_SECONDS
from hipflex_api.api_root.openapi import EXAMPLE
from tests.conftest import bearer

pytestmark = pytest.mark.django_db

ROOT_URL = "/api/v1/"


def _paths(links):
    return {name: urlsplit(url).path for name, url in links.items()}


def _collection_paths():
    """Every path the API serves that names no one item (no {id}, no {slug}), the root aside."""
    return {
        path
        for path, _regex, _method, _view in EndpointEnumerator().get_api_endpoints()
        if path.startswith(ROOT_URL) and path != ROOT_URL and "{" not in path
    }


def test_the_root_links_every_endpoint_that_takes_no_id_and_nothing_else(api_client):
    resources = api_client.get(ROOT_URL).json()["resources"]
    assert set(_paths(resources).values()) == _collection_paths()
    assert {"exercises", "muscles", "equipment", "routines", "sessions", "sync", "me"} <= set(
        resources
    )


def test_each_link_is_named_by_its_path_below_the_root(api_client):
    resources = api_client.get(ROOT_URL).json()["resources"]
    assert resources["auth/token/refresh"] == "http://testserver/api/v1/auth/token/refresh/"
    for name, url in resources.items():
        assert url == f"http://testserver{ROOT_URL}{name}/"


def test_the_links_are_absolute_for_the_address_the_request_came_to(api_client):
    body = api_client.get(ROOT_URL, secure=True, HTTP_HOST="localhost").json()
    urls = [*body["resources"].values(), *body["docs"].values()]
    assert urls
    assert all(url.startswith("https://localhost/api/") for url in urls)


def test_the_root_links_the_docs_pages_and_the_schema_and_they_answer(client):
    docs = client.get(ROOT_URL).json()["docs"]
    assert _paths(docs) == {
        "swagger-ui": "/api/docs/",
        "redoc": "/api/redoc/",
        "schema": "/api/schema/",
    }
    for path in _paths(docs).values():
        assert client.get(path).status_code == 200, path


def test_every_link_reaches_an_endpoint(api_client):
    for path in _paths(api_client.get(ROOT_URL).json()["resources"]).values():
        # Private ones ask for an account; the ones that only take a POST say so.
        assert api_client.get(path).status_code in {200, 401, 405}, path


def test_the_root_is_public_cacheable_and_reads_no_credentials(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = bearer("an-expired-or-made-up-token").get(ROOT_URL)
    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, max-age={MAX_AGE_SECONDS}"


def test_the_schema_example_shows_only_links_the_root_serves(client):
    served = client.get(ROOT_URL).json()
    for section, links in EXAMPLE.items():
        assert _paths(links).items() <= _paths(served[section]).items(), section


def test_the_schema_documents_the_root_as_public():
    schema = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text())
    operation = schema["paths"][ROOT_URL]["get"]
    assert {} in operation["security"]
    body = operation["responses"]["200"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/ApiRoot"}
    assert set(schema["components"]["schemas"]["ApiRoot"]["required"]) == {"resources", "docs"}
