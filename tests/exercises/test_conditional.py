"""Conditional GETs on the catalog: ETags that change exactly when the catalog does."""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from hipflex_api import conditional
from hipflex_api.changes.counters import catalog_version
from tests.conftest import EXERCISES_URL, bearer, exercise_url
from tests.factories import ExerciseFactory, MuscleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", [EXERCISES_URL, exercise_url("lunge"), "/api/v1/muscles/"])
def test_a_current_etag_gets_304_without_a_body(api_client, url, django_assert_num_queries):
    ExerciseFactory(name="Lunge")
    first = api_client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]

    with django_assert_num_queries(1):  # Only the catalog version is read.
        again = api_client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "Content-Type" not in again  # No body, so no type (a bare 304 said text/html).


def test_a_trainers_edit_changes_the_etag_and_the_body(api_client, trainer_client):
    ExerciseFactory(name="Lunge", summary="Before.")
    first = api_client.get(exercise_url("lunge"))

    trainer_client.patch(exercise_url("lunge"), {"summary": "After."})
    second = api_client.get(exercise_url("lunge"), HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert second.json()["summary"] == "After."
    assert second["ETag"] != first["ETag"]


def test_renaming_a_muscle_changes_the_exercise_pages_too(api_client):
    exercise = ExerciseFactory(name="Lunge")
    muscle = MuscleFactory(name="Psoas")
    exercise.muscle_links.create(muscle=muscle)
    first = api_client.get(exercise_url("lunge"))

    muscle.name = "Psoas major"
    muscle.save()
    second = api_client.get(exercise_url("lunge"), HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert second.json()["muscles"][0]["name"] == "Psoas major"


def test_trainers_and_app_users_never_share_a_cached_page(api_client, trainer):
    ExerciseFactory(name="Published")
    ExerciseFactory(name="Draft", published=False)
    trainer_client = bearer(RefreshToken.for_user(trainer).access_token)

    public = api_client.get(EXERCISES_URL)
    trainers = trainer_client.get(EXERCISES_URL)

    assert public.json()["count"] == 1
    assert trainers.json()["count"] == 2
    assert public["ETag"] != trainers["ETag"]
    assert api_client.get(EXERCISES_URL, HTTP_IF_NONE_MATCH=trainers["ETag"]).status_code == 200


def test_different_filters_are_different_pages(api_client):
    ExerciseFactory(name="Lunge", kind="stretch")
    ExerciseFactory(name="March", kind="strengthen")

    stretches = api_client.get(EXERCISES_URL, {"kind": "stretch"})
    strengtheners = api_client.get(EXERCISES_URL, {"kind": "strengthen"})

    assert [e["slug"] for e in stretches.json()["results"]] == ["lunge"]
    assert [e["slug"] for e in strengtheners.json()["results"]] == ["march"]
    assert stretches["ETag"] != strengtheners["ETag"]


class _CountingCache:
    def __init__(self, cache):
        self.cache = cache
        self.stored = []

    def get(self, key, *args, **kwargs):
        return self.cache.get(key, *args, **kwargs)

    def set(self, key, *args, **kwargs):
        self.stored.append(key)
        return self.cache.set(key, *args, **kwargs)


def test_errors_are_not_cached(api_client, monkeypatch):
    counting = _CountingCache(conditional.cache)
    monkeypatch.setattr(conditional, "cache", counting)

    for _ in range(2):
        response = api_client.get(EXERCISES_URL, {"kind": "bogus"})
        assert response.status_code == 400
        assert "ETag" not in response
    assert counting.stored == []
    # A page that exists is stored, once: the count above could see a store.
    ExerciseFactory(name="Lunge")
    assert api_client.get(EXERCISES_URL).json()["count"] == 1
    assert len(counting.stored) == 1


@pytest.mark.parametrize(("url", "status"), [(EXERCISES_URL, 200), (exercise_url("nope"), 404)])
def test_if_none_match_star_is_not_honoured(api_client, url, status):
    # "*" would answer 304 for any page, even one that does not exist.
    ExerciseFactory(name="Lunge")
    assert api_client.get(url, HTTP_IF_NONE_MATCH="*").status_code == status


def test_a_cached_public_page_is_answered_before_the_views(api_client, django_assert_num_queries):
    ExerciseFactory(name="Lunge")
    first = api_client.get(EXERCISES_URL)

    with django_assert_num_queries(1):  # The catalog version; no authentication, no view.
        again = api_client.get(EXERCISES_URL)

    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("url", "answered"),
    [
        ("/api/v1/equipment/", True),
        ("/api/v1/muscles/", True),
        (exercise_url("lunge"), True),
        ("/api/v1/routines/", False),
        (exercise_url("lunge") + "advice/", False),
        ("/api/v1/nowhere/", False),
    ],
)
def test_the_middleware_answers_the_catalog_caches_routes_and_no_others(
    api_client, monkeypatch, url, answered
):
    # The routes come from resolving the URL: those of CatalogCacheMixin's list and retrieve.
    ExerciseFactory(name="Lunge")
    api_client.get(url)  # Fills the cache where the route caches.
    answers = []

    def cached_answer(*args, **kwargs):
        answers.append(conditional.cached_answer(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr("exercises.catalog_cache.cached_answer", cached_answer)
    api_client.get(url)

    assert bool(answers and answers[0] is not None) is answered
    assert len(answers) == (1 if answered else 0)


def test_a_process_rereads_the_catalog_version_only_after_a_while_or_a_commit(
    settings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    settings.CATALOG_VERSION_SECONDS = 60
    first = catalog_version()
    with django_assert_num_queries(0):
        assert catalog_version() == first

    with django_capture_on_commit_callbacks(execute=True):
        ExerciseFactory(name="Lunge")  # A catalog write: forgotten once it commits.

    assert catalog_version() > first
