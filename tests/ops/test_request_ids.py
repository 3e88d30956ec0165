"""X-Request-ID: taken from the request when usable, else made, and on every answer."""

import logging
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from hipflex_api.ops.logs import RequestIdFilter
from tests.conftest import EXERCISES_URL, exercise_url
from tests.factories import ExerciseFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

NEW_ID = re.compile(r"[0-9a-f]{32}")
ORIGIN = "https://app.example.com"


@pytest.mark.parametrize(
    "sent", ["a", "checkout-42", "Root=1-5e1b4151;Parent=53995c3f;Sampled=1", "x" * 200, "a b"]
)
def test_a_usable_incoming_id_is_echoed(api_client, sent):
    response = api_client.get(EXERCISES_URL, HTTP_X_REQUEST_ID=sent)

    assert response["X-Request-ID"] == sent


@pytest.mark.parametrize(
    "sent", ["x" * 201, "bell\x07", "line\nbreak", "tab\there", "   ", "", "caf\xe9"]
)
def test_an_unusable_incoming_id_is_replaced_by_a_new_one(api_client, sent):
    response = api_client.get(EXERCISES_URL, HTTP_X_REQUEST_ID=sent)

    assert NEW_ID.fullmatch(response["X-Request-ID"])


def test_each_request_without_an_id_gets_a_new_one(api_client):
    first = api_client.get(EXERCISES_URL)["X-Request-ID"]
    second = api_client.get(EXERCISES_URL)["X-Request-ID"]

    assert NEW_ID.fullmatch(first)
    assert NEW_ID.fullmatch(second)
    assert first != second


def test_answers_made_before_the_views_carry_the_id_too(api_client):
    exercise = ExerciseFactory()
    first = api_client.get(exercise_url(exercise.slug))
    # Answered by CatalogCacheMiddleware from the cache, and with a 304.
    cached = api_client.get(exercise_url(exercise.slug), HTTP_X_REQUEST_ID="cached")
    not_modified = api_client.get(
        exercise_url(exercise.slug), HTTP_IF_NONE_MATCH=first["ETag"], HTTP_X_REQUEST_ID="304"
    )

    assert (cached.status_code, cached["X-Request-ID"]) == (200, "cached")
    assert (not_modified.status_code, not_modified["X-Request-ID"]) == (304, "304")


@pytest.mark.parametrize("path", ["/api/v1/no-such-endpoint/", "/no-such-page/"])
def test_404_pages_carry_the_id(api_client, path):
    response = api_client.get(path, HTTP_X_REQUEST_ID="lost")

    assert (response.status_code, response["X-Request-ID"]) == (404, "lost")


@pytest.mark.parametrize("path", ["/api/v1/boom/", "/api/v1/plain-boom/"])
def test_a_500_quotes_the_id_in_its_body_header_and_log_line(settings, caplog, path):
    # From the exception handler (a DRF view) and from handler500 (a plain Django view).
    settings.ROOT_URLCONF = "tests.ops.urls"
    caplog.handler.addFilter(RequestIdFilter())

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = APIClient(raise_request_exception=False).get(path, HTTP_X_REQUEST_ID="bug-7")

    body = assert_error(response, 500, "server_error")
    assert body["request_id"] == response["X-Request-ID"] == "bug-7"
    failure = next(r for r in caplog.records if r.name == "django.request" and r.exc_info)
    assert failure.request_id == "bug-7"


def test_a_500_without_an_incoming_id_quotes_the_new_one(settings):
    settings.ROOT_URLCONF = "tests.ops.urls"

    response = Client(raise_request_exception=False).get("/api/v1/plain-boom/")

    assert response.json()["request_id"] == response["X-Request-ID"]
    assert NEW_ID.fullmatch(response["X-Request-ID"])


def test_browsers_may_send_the_id_and_read_it(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    preflight = api_client.options(
        EXERCISES_URL,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-request-id",
    )
    response = api_client.get(EXERCISES_URL, HTTP_ORIGIN=ORIGIN)

    assert "x-request-id" in preflight["Access-Control-Allow-Headers"]
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]


def test_the_schema_documents_the_header_on_every_response():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert schema["components"]["headers"]["X-Request-ID"]["schema"]["maxLength"] == 200
    responses = [
        (path, method, status, response)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        for status, response in operation["responses"].items()
    ]
    assert len(responses) > 100
    for path, method, status, response in responses:
        assert response["headers"]["X-Request-ID"] == {
            "$ref": "#/components/headers/X-Request-ID"
        }, (method, path, status)
