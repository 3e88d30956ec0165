"""Redis failing under the API: a Redis of the test's own, stopped or paused while the API
answers. Cached answers do without it; the counters' limits refuse rather than let through."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from hipflex_api.ops import cache as cache_backends
from sessions.models import WorkoutSession
from tests.conftest import (
    EXERCISES_URL,
    ME_URL,
    REGISTER_URL,
    SESSIONS_URL,
    STRONG_PASSWORD,
    api_client_for,
    exercise_url,
    login,
)
from tests.factories import ExerciseFactory, UserFactory, WorkoutSessionFactory
from tests.helpers import answered_within, assert_error, json_of

pytestmark = pytest.mark.django_db

CACHE_LOGGER = cache_backends.__name__


@pytest.fixture
def catalog(db):
    return [ExerciseFactory(slug="king-runner", name="King Runner"), ExerciseFactory()]


def test_reads_are_answered_from_the_database_while_redis_is_down(
    on_redis, catalog, user, client, caplog
):
    WorkoutSessionFactory(user=user, notes="morning hips")
    anonymous_up = client.get(EXERCISES_URL).json()
    on_redis.stop()

    with caplog.at_level(logging.WARNING, logger=CACHE_LOGGER):
        catalog_list = client.get(EXERCISES_URL)
        detail = client.get(exercise_url("king-runner"))
        sessions = api_client_for(user).get(SESSIONS_URL)

    assert catalog_list.status_code == detail.status_code == sessions.status_code == 200
    assert catalog_list.json() == anonymous_up
    assert detail.json()["name"] == "King Runner"
    assert [s["notes"] for s in json_of(sessions)["results"]] == ["morning hips"]
    # Once a minute, not once a call: three requests, many cache calls, one line.
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1
    assert "answering from the database" in unreachable[0].getMessage()


def test_a_redis_that_hangs_costs_one_timeout_then_is_left_alone(on_redis, catalog, client):
    client.get(EXERCISES_URL)  # The answer cached while Redis is up.
    failed = cache_backends.django_cache_get_fail_total.labels(backend="redis-answers")
    before = failed._value.get()
    on_redis.pause()

    with override_settings(CACHE_RETRY_SECONDS=60):
        answers = [answered_within(lambda: client.get(EXERCISES_URL), 10) for _ in range(5)]

    assert [a.status_code for a in answers] == [200] * 5
    # The first get timed out; the other four did not try Redis in the next minute.
    assert failed._value.get() - before == 1


def test_caching_resumes_when_redis_returns_and_no_stale_answer_is_served(
    on_redis, catalog, client, django_assert_num_queries, caplog
):
    assert client.get(exercise_url("king-runner")).json()["name"] == "King Runner"
    on_redis.pause()  # It comes back with the answer it held: now out of date.
    renamed = catalog[0]
    renamed.name = "Kneeling King Runner"
    renamed.save()
    down = client.get(exercise_url("king-runner"))
    on_redis.resume()

    back = client.get(exercise_url("king-runner"))  # Made afresh, and cached again.
    with django_assert_num_queries(1):  # Only the catalog's change number: a cache hit.
        again = client.get(exercise_url("king-runner"))

    assert down.json()["name"] == back.json()["name"] == "Kneeling King Runner"
    assert again.content == back.content
    cache_lines = [r.getMessage() for r in caplog.records if r.name == CACHE_LOGGER]
    assert cache_lines[0].startswith("The cache of answers is unreachable")  # While paused.
    assert cache_lines[-1] == "The cache of answers answers again; caching resumes"
    assert cache_lines.count(cache_lines[-1]) == 1


def test_login_fails_closed_while_the_counters_are_down(on_redis, catalog, client):
    person = UserFactory(email="ana@example.com")
    person.set_password(STRONG_PASSWORD)
    person.save()
    on_redis.stop()

    refused = login("ana@example.com", STRONG_PASSWORD)
    guessed = login("ana@example.com", "wrong-password-1")

    for response in (refused, guessed):
        body = assert_error(response, 503, "limits_unavailable")
        assert response["Retry-After"] == "5"
        assert "Retry-After" in body["detail"]
        assert "access" not in body
    person.refresh_from_db()
    assert person.last_login is None
    # Everything else goes on.
    assert client.get(EXERCISES_URL).status_code == 200


def test_the_admin_sign_in_is_refused_while_the_counters_are_down(on_redis, client):
    trainer = UserFactory(is_staff=True)
    trainer.set_password(STRONG_PASSWORD)
    trainer.save()
    on_redis.stop()

    response = client.post(
        "/admin/login/", {"username": trainer.email, "password": STRONG_PASSWORD}
    )

    assert response.status_code == 200  # The form again, saying why.
    assert "Signing in is unavailable for a moment" in response.content.decode()
    assert client.get("/admin/").status_code == 302
    trainer.refresh_from_db()
    assert trainer.last_login is None


def test_registration_is_refused_whole_while_the_counters_are_down(on_redis, api_client):
    on_redis.stop()

    response = api_client.post(
        REGISTER_URL, {"email": "new@example.com", "password": STRONG_PASSWORD}, format="json"
    )

    assert_error(response, 503, "limits_unavailable")
    assert not get_user_model().objects.filter(email="new@example.com").exists()


def test_limits_count_again_when_the_counters_return(on_redis):
    person = UserFactory()
    on_redis.stop()
    assert login(person.email, "wrong-guess").status_code == 503
    on_redis.start()  # Empty: a restarted Redis without persistence.

    # Ten failed logins on one account from one client address, as before the outage.
    statuses = [login(person.email, "wrong-guess").status_code for _ in range(11)]

    assert statuses == [401] * 10 + [429]


def test_uploads_and_exports_go_on_while_the_counters_are_down(on_redis, user, catalog):
    client = api_client_for(user)
    on_redis.stop()

    upload = client.post(
        SESSIONS_URL,
        {
            "started_at": "2026-03-01T08:00:00Z",
            "sets": [{"exercise": "king-runner", "reps": 8}],
        },
        format="json",
    )
    export = client.get(f"{ME_URL}export/")

    assert upload.status_code == 201
    assert export.status_code == 200
    assert [s["id"] for s in json_of(export)["sessions"]] == [upload.json()["id"]]
    assert WorkoutSession.objects.filter(user=user).count() == 1
