import logging
import re
from pathlib import Path

import psycopg
import pytest
import yaml
from django.db import IntegrityError, InterfaceError, InternalError, OperationalError
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.validators import UniqueValidator

import sessions.services
from exercises.models import Exercise, ExerciseQuerySet
from hipflex_api.changes.counters import current_values, user_scope
from hipflex_api.domain_errors import (
    AccountDeleted,
    ConflictError,
    DomainError,
    GoneError,
    InvalidInput,
)
from hipflex_api.errors import exception_handler
from hipflex_api.filters import EMPTY_VALUE
from sessions.models import WorkoutSession
from tests.conftest import SESSIONS_URL, session_body
from tests.factories import CoachingLinkFactory, EndpointFactory, ExerciseFactory, MuscleFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def test_validation_error_names_each_field(trainer_client):
    MuscleFactory(slug="psoas-major")

    response = trainer_client.post(
        "/api/v1/exercises/",
        {"name": "", "kind": "cardio", "summary": ".", "prescription": {"sets": 0}},
    )

    body = assert_error(response, 400, "invalid")
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"name", "kind", "prescription.sets"}
    assert {error["code"] for error in body["errors"]} == {"blank", "invalid_choice", "min_value"}
    assert body["detail"] == "Invalid input in kind, name, prescription.sets."


def test_validation_error_about_the_whole_body_has_null_field(trainer_client):
    response = trainer_client.post("/api/v1/exercises/", ["not", "an", "object"])

    body = assert_error(response, 400, "invalid")
    assert body["errors"][0]["field"] is None
    assert body["detail"] == body["errors"][0]["message"]


def test_query_parameter_error_names_the_parameter(api_client):
    body = assert_error(api_client.get("/api/v1/exercises/", {"page_size": "500"}), 400, "invalid")

    assert body["errors"] == [
        {
            "field": "page_size",
            "code": "out_of_range",
            "message": "Must be a whole number from 1 to 100.",
        }
    ]


def test_malformed_json_is_400_parse_error(trainer_client):
    response = trainer_client.post(
        "/api/v1/exercises/", '{"name": "Lunge",', content_type="application/json"
    )

    body = assert_error(response, 400, "parse_error")
    assert body["errors"] == []
    assert not Exercise.objects.exists()


def test_form_encoded_body_is_415_unsupported_media_type(trainer_client):
    response = trainer_client.post(
        "/api/v1/exercises/",
        {"name": "Lunge", "kind": "stretch", "summary": "."},
        format="multipart",
    )

    assert_error(response, 415, "unsupported_media_type")
    assert not Exercise.objects.exists()


def test_url_encoded_body_is_415(trainer_client):
    response = trainer_client.post(
        "/api/v1/exercises/",
        "name=Lunge&kind=stretch&summary=x",
        content_type="application/x-www-form-urlencoded",
    )

    assert_error(response, 415, "unsupported_media_type")


def test_an_account_deleted_during_a_write_is_401_with_the_challenge(user_client, monkeypatch):
    # The race itself is in tests/sessions/test_concurrency.py; here, its answer.
    def deleted(**kwargs):
        raise AccountDeleted

    monkeypatch.setattr(sessions.services, "session_create", deleted)
    exercise = ExerciseFactory()
    body = {
        "started_at": "2025-03-01T07:00:00Z",
        "sets": [{"exercise": exercise.slug, "reps": 10}],
    }

    response = user_client.post("/api/v1/sessions/", body, format="json")

    assert_error(response, 401, "user_not_found")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("error", "status", "code", "fields"),
    [
        (InvalidInput("Not in this routine: lunge.", field="keep"), 400, "invalid", ["keep"]),
        (DomainError("A rule said no."), 400, "invalid", [None]),
        (ConflictError("This id is taken."), 409, "conflict", []),
        (GoneError("This was deleted."), 410, "gone", []),
    ],
)
def test_each_kind_of_domain_error_has_one_status(error, status, code, fields):
    response = exception_handler(error, {"request": None, "view": None})

    assert response.status_code == status
    assert response.data["code"] == code
    assert response.data["status"] == status
    assert [e["field"] for e in response.data["errors"]] == fields
    assert error.message in (
        response.data["detail"],
        *[e["message"] for e in response.data["errors"]],
    )


def test_method_not_allowed_is_405_json(api_client):
    body = assert_error(api_client.delete("/api/v1/muscles/"), 405, "method_not_allowed")

    assert "DELETE" in body["detail"]


def test_write_to_read_only_detail_is_405(api_client):
    MuscleFactory(slug="psoas-major")

    assert_error(api_client.put("/api/v1/muscles/psoas-major/", {}), 405, "method_not_allowed")


def test_missing_object_is_404_json(api_client):
    assert_error(api_client.get("/api/v1/exercises/no-such-exercise/"), 404, "not_found")


def test_unknown_url_under_api_is_404_json(api_client):
    body = assert_error(api_client.get("/api/v1/no-such-endpoint/"), 404, "not_found")

    assert "/api/v1/no-such-endpoint/" in body["detail"]
    assert "Did you mean" not in body["detail"]


def test_unknown_api_version_is_404_json(api_client):
    assert_error(api_client.get("/api/v2/exercises/"), 404, "not_found")


def test_missing_trailing_slash_is_404_that_suggests_the_slash(api_client):
    body = assert_error(api_client.get("/api/v1/exercises"), 404, "not_found")

    assert "Did you mean /api/v1/exercises/?" in body["detail"]


def test_missing_trailing_slash_on_detail_suggests_the_slash(api_client):
    ExerciseFactory(name="Lunge")

    body = assert_error(api_client.get("/api/v1/exercises/lunge"), 404, "not_found")

    assert "Did you mean /api/v1/exercises/lunge/?" in body["detail"]


def test_missing_trailing_slash_on_post_is_404_not_a_redirect(trainer_client):
    assert_error(trainer_client.post("/api/v1/exercises", {}), 404, "not_found")


def test_unknown_url_outside_api_is_not_json(api_client):
    response = api_client.get("/no-such-page/")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_unhandled_exception_is_json_500(settings, caplog):
    settings.ROOT_URLCONF = "tests.error_urls"
    client = APIClient(raise_request_exception=False)

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/api/v1/boom/")

    body = assert_error(response, 500, "server_error")
    assert "Boom" not in body["detail"]
    assert any("Boom: a bug in a view." in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_unhandled_exception_is_json_500_in_development_too(settings):
    settings.ROOT_URLCONF = "tests.error_urls"
    settings.DEBUG = True
    response = APIClient(raise_request_exception=False).get("/api/v1/boom/")
    assert_error(response, 500, "server_error")


def test_a_bad_host_under_api_is_a_json_400(api_client):
    response = api_client.get("/api/v1/exercises/", HTTP_HOST="evil.example.com")
    assert_error(response, 400, "bad_request")


def test_a_check_constraint_failure_is_a_500_not_a_retryable_409():
    request = Request(APIRequestFactory().post("/api/v1/exercises/"))
    failure = IntegrityError("CHECK constraint failed: exercise_sets_range")
    response = exception_handler(failure, {"request": request, "view": None})
    assert response.status_code == 500
    assert response.data["code"] == "server_error"


def test_a_write_that_cannot_get_the_database_lock_is_a_503_to_retry_with_nothing_saved(
    user, user_client, monkeypatch
):
    # As SQLite answers once SQLITE_BUSY_TIMEOUT_SECONDS have passed (tests/test_sqlite.py
    # gets it for real), here after the session's row and its change number were written.
    def locked(session, sets):
        raise OperationalError("database is locked")

    monkeypatch.setattr(sessions.services, "_write_sets", locked)
    changes = current_values(user_scope(user.pk))

    response = user_client.post(SESSIONS_URL, session_body(ExerciseFactory()), format="json")

    assert_error(response, 503, "database_busy")
    assert response["Retry-After"] == "1"
    assert not WorkoutSession.objects.exists()
    assert current_values(user_scope(user.pk)) == changes


def test_a_lock_given_up_on_outside_a_drf_view_is_a_503_too(settings):
    settings.ROOT_URLCONF = "tests.error_urls"

    response = APIClient(raise_request_exception=False).get("/api/v1/locked/")

    assert_error(response, 503, "database_busy")
    assert response["Retry-After"] == "1"


def _wrapped(cause, django_error=OperationalError):
    """psycopg's error as Django raises it: its own class, with psycopg's as the cause."""
    try:
        raise django_error(str(cause)) from cause
    except django_error as exc:
        return exc


@pytest.mark.parametrize(
    ("cause", "django_error"),
    [
        (psycopg.errors.AdminShutdown("terminating connection"), OperationalError),
        (psycopg.errors.TooManyConnections("sorry, too many clients already"), OperationalError),
        (psycopg.errors.ConnectionFailure("connection failure"), OperationalError),
        # A failover left this server a standby: writes go to the new primary.
        (psycopg.errors.ReadOnlySqlTransaction("read-only transaction"), InternalError),
    ],
    ids=lambda value: type(value).__name__,
)
def test_a_database_that_cannot_answer_is_a_503_to_retry(cause, django_error):
    request = Request(APIRequestFactory().post("/api/v1/sessions/"))

    response = exception_handler(_wrapped(cause, django_error), {"request": request})

    assert response.status_code == 503
    assert response.data["code"] == "database_unavailable"
    assert response["Retry-After"] == "2"


def test_a_connection_already_closed_is_a_503_too():
    request = Request(APIRequestFactory().get("/api/v1/sessions/"))
    closed = InterfaceError("connection already closed")  # Django's own, as it raises it.

    assert exception_handler(closed, {"request": request}).status_code == 503


@pytest.mark.parametrize(
    ("cause", "wait"),
    [
        # DATABASE_STATEMENT_TIMEOUT_SECONDS passed: it ran that long, so not again at once.
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), "5"),
        (psycopg.errors.LockNotAvailable("could not obtain lock on row"), "1"),
        (psycopg.errors.DeadlockDetected("deadlock detected"), "1"),
        (psycopg.errors.SerializationFailure("could not serialize access"), "1"),
    ],
    ids=lambda value: type(value).__name__,
)
def test_a_database_too_busy_for_the_request_is_a_503_to_retry_soon(cause, wait):
    request = Request(APIRequestFactory().post("/api/v1/sessions/"))

    response = exception_handler(_wrapped(cause), {"request": request})

    assert response.status_code == 503
    assert response.data["code"] == "database_busy"
    assert response["Retry-After"] == wait


def test_psycopgs_own_refusal_of_the_request_on_a_working_connection_is_still_a_500():
    request = Request(APIRequestFactory().post("/api/v1/sessions/"))
    ExerciseFactory()  # The test's connection is open, and works.
    # No SQLSTATE: psycopg refused to send it.
    cause = psycopg.OperationalError("sending query and params failed: too many parameters")

    response = exception_handler(_wrapped(cause), {"request": request})

    assert response.status_code == 500


def test_a_database_gone_outside_a_drf_view_is_a_503_too(settings):
    settings.ROOT_URLCONF = "tests.error_urls"

    response = APIClient(raise_request_exception=False).get("/api/v1/unreachable/")

    assert_error(response, 503, "database_unavailable")
    assert response["Retry-After"] == "2"


def test_another_database_failure_is_still_a_500():
    request = Request(APIRequestFactory().post("/api/v1/sessions/"))
    response = exception_handler(OperationalError("disk I/O error"), {"request": request})
    assert response.status_code == 500
    assert response.data["code"] == "server_error"


def test_test_urlconf_still_serves_the_api(settings, api_client):
    settings.ROOT_URLCONF = "tests.error_urls"
    ExerciseFactory(name="Lunge")

    assert api_client.get("/api/v1/exercises/lunge/").status_code == 200


def test_a_write_that_loses_a_race_for_a_unique_name_is_409(trainer_client, monkeypatch):
    ExerciseFactory(name="King Runner", slug="king-runner")
    # Two trainers saving the same name at once both pass validation; the database decides.
    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, field: None)
    monkeypatch.setattr(ExerciseQuerySet, "exists", lambda self: False)
    response = trainer_client.post(
        "/api/v1/exercises/",
        {"name": "King Runner", "kind": "stretch", "summary": "Again.", "steps": ["One."]},
        format="json",
    )
    assert_error(response, 409, "conflict")
    assert Exercise.objects.filter(name="King Runner").count() == 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsafe_methods_on_unknown_api_urls_get_a_json_404_not_a_csrf_page(method):
    client = APIClient(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/routines/0.5/copy/", {}, format="json")
    assert_error(response, 404, "not_found")


def test_a_failed_csrf_check_under_api_is_json():
    from hipflex_api.errors import csrf_failure

    request = APIRequestFactory().post("/api/v1/anything/")
    response = csrf_failure(request, reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_code_an_exception_of_ours_or_of_our_libraries_carries_is_in_the_enum():
    # Importing the services registers their domain errors as subclasses.
    from rest_framework import exceptions
    from rest_framework_simplejwt import exceptions as jwt_exceptions

    import sessions.services  # noqa: F401
    from hipflex_api import domain_errors, errors
    from hipflex_api.serializers import ERROR_CODES

    raised = {
        cls.default_code
        for module in (exceptions, jwt_exceptions, errors)
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, exceptions.APIException)
        and cls is not exceptions.APIException
    }
    # Domain errors that keep their own code at the top of the answer (the others are 400s
    # whose code is in `errors`).
    kinds = (domain_errors.ConflictError, domain_errors.GoneError, domain_errors.AccountDeleted)
    raised |= {kind.code for base in kinds for kind in (base, *_subclasses(base))}

    assert raised <= set(ERROR_CODES), raised - set(ERROR_CODES)


def _every_operation():
    schema = yaml.safe_load(Path("openapi.yaml").read_text())
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            # A number where the schema says one (a media item's id); else a UUID, which
            # suits every other path parameter: sessions take only UUIDs.
            numbers = {
                p["name"]
                for p in operation.get("parameters", [])
                if p["in"] == "path" and p["schema"].get("type") == "integer"
            }
            yield (
                method,
                re.sub(
                    r"\{([^}]+)\}",
                    lambda m, n=numbers: (
                        "7" if m[1] in n else "0b6a9e0c-5f1e-4d61-9d67-2f4c1b7a8e11"
                    ),
                    path,
                ),
                operation,
            )


@pytest.mark.parametrize(("method", "url", "operation"), list(_every_operation()))
def test_every_operation_refuses_an_accept_header_without_json_with_a_documented_406(
    trainer_client, method, url, operation
):
    # Content negotiation comes before authentication, lookups and the body, so any caller
    # and any path parameter get it; the catalog's cached fast path must too.
    response = getattr(trainer_client, method)(url, HTTP_ACCEPT="application/xml")

    assert_error(response, 406, "not_acceptable")
    assert "406" in operation["responses"], operation["operationId"]


def _query_parameters():
    schema = yaml.safe_load(Path("openapi.yaml").read_text())
    components = schema["components"]["schemas"]
    for method, url, operation in _every_operation():
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and method == "get":
                declared = parameter["schema"]
                ref = declared.get("$ref") or declared.get("items", {}).get("$ref")
                typed = components[ref.rsplit("/", 1)[1]] if ref else declared
                # A plain string may be empty, an array may be the empty list; every other
                # type has no empty value.
                text = typed.get("type") == "string" and not {"format", "enum"} & set(typed)
                text = text or declared.get("type") == "array"
                yield pytest.param(
                    url, operation, parameter["name"], text, id=f"{url}?{parameter['name']}="
                )


@pytest.mark.parametrize(("url", "operation", "name", "text"), list(_query_parameters()))
def test_a_query_parameter_sent_empty_is_refused_unless_the_schema_allows_an_empty_string(
    api_client, user, trainer, url, operation, name, text
):
    if {} not in operation.get("security", [{}]):
        # Coaching refuses anyone but a trainer before it reads the query, and a client's
        # pages anyone but their trainer.
        api_client.force_authenticate(trainer if "/coaching/" in url else user)
    if client_id := re.search(r"/coaching/clients/([-0-9a-f]{36})/", url):
        CoachingLinkFactory(id=client_id[1], trainer=trainer)
    if endpoint_id := re.search(r"/webhooks/([-0-9a-f]{36})/", url):
        EndpointFactory(id=endpoint_id[1], user=user)

    response = api_client.get(f"{url}?{name}=")

    if text:
        assert response.status_code == 200, response.content
    else:
        body = assert_error(response, 400, "invalid")
        assert body["errors"] == [{"field": name, "code": "blank", "message": EMPTY_VALUE}]
    assert "allowEmptyValue" not in next(p for p in operation["parameters"] if p["name"] == name)
