import math

import pytest
from django.conf import settings

from exercises.models import Routine, RoutineItem
from exercises.services import routine_copy
from sessions.models import WorkoutSession
from tests.conftest import ROUTINES_URL, api_client_for, routine_url
from tests.exercises.conftest import ARTICLE_ORDER, seed_catalog
from tests.factories import ExerciseFactory, RoutineFactory, RoutineItemFactory, UserFactory
from tests.helpers import error_fields

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [routine["name"] for routine in response.json()["results"]]


def _stored_items(routine: Routine) -> list[tuple]:
    return list(
        routine.items.values_list(
            "exercise__slug", "sets", "reps_per_side", "hold_seconds", "rest_seconds", "notes"
        )
    )


def _expected_minutes(items: list[RoutineItem]) -> int:
    """The contract's formula, written out: work (reps x seconds per rep, or the hold) and
    rest, for every set and both sides of a one-sided exercise, rounded up to minutes."""
    seconds = 0
    for item in items:
        sides = 2 if item.exercise.unilateral else 1
        if item.reps_per_side:
            work = item.reps_per_side * settings.ROUTINE_SECONDS_PER_REP
        else:
            work = item.hold_seconds
        seconds += item.sets * sides * (work + item.rest_seconds)
    return math.ceil(seconds / 60)


# Seed


def test_seed_loads_the_articles_routine_in_the_articles_order(api_client):
    seed_catalog()
    routine = Routine.objects.get()
    assert routine.name == "Hip Flexor Reset"
    assert routine.is_curated
    assert routine.published
    items = list(routine.items.select_related("exercise"))
    assert [item.exercise.slug for item in items] == ARTICLE_ORDER
    assert items[0].reps_per_side == 10
    assert items[0].exercise.unilateral

    response = api_client.get(routine_url(routine))
    assert response.status_code == 200
    body = response.json()
    assert [item["exercise"] for item in body["items"]] == ARTICLE_ORDER
    assert body["items"][0]["reps_per_side"] == 10
    assert body["items"][0]["unilateral"] is True
    assert body["estimated_minutes"] == _expected_minutes(items)
    assert [r["name"] for r in api_client.get(ROUTINES_URL).json()["results"]] == [
        "Hip Flexor Reset"
    ]


def test_seeding_again_adds_no_routine_or_item():
    seed_catalog()
    before = _stored_items(Routine.objects.get())
    seed_catalog()
    assert Routine.objects.count() == 1
    assert _stored_items(Routine.objects.get()) == before


def test_a_renamed_seed_routine_is_not_brought_back():
    seed_catalog()
    Routine.objects.update(name="Evening Hips")
    seed_catalog()
    assert list(Routine.objects.values_list("name", flat=True)) == ["Evening Hips"]


def test_a_deleted_seed_routine_is_not_brought_back():
    seed_catalog()
    Routine.objects.all().delete()
    seed_catalog()
    assert not Routine.objects.exists()
    assert not RoutineItem.objects.exists()


# Visibility


def test_anonymous_lists_published_curated_routines_only(api_client, user):
    RoutineFactory(name="Curated")
    RoutineFactory(name="Draft", published=False)
    RoutineFactory(name="Mine", owner=user)
    response = api_client.get(ROUTINES_URL)
    assert response.status_code == 200
    assert _names(response) == ["Curated"]


def test_user_lists_published_curated_and_own_routines(user_client, user, other_user):
    RoutineFactory(name="A curated")
    RoutineFactory(name="B draft", published=False)
    RoutineFactory(name="C mine", owner=user)
    RoutineFactory(name="D theirs", owner=other_user)
    body = user_client.get(ROUTINES_URL).json()
    assert [(r["name"], r["curated"]) for r in body["results"]] == [
        ("A curated", True),
        ("C mine", False),
    ]
    assert body["count"] == 2


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("get", ""),
        ("put", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "copy/"),
        ("post", "start/"),
    ],
)
def test_other_users_private_routine_is_404(user_client, other_user, method, action):
    theirs = RoutineItemFactory(routine__owner=other_user, routine__name="Theirs").routine
    body = {"name": "Hijacked", "items": [{"exercise": ExerciseFactory().slug, "sets": 2}]}
    body = None if method == "get" else body  # A GET's would be a query.
    response = getattr(user_client, method)(routine_url(theirs, action), body, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert list(Routine.objects.values_list("name", flat=True)) == ["Theirs"]
    assert RoutineItem.objects.count() == 1
    assert not WorkoutSession.objects.exists()
    assert "Theirs" not in _names(user_client.get(ROUTINES_URL))


def test_unpublished_curated_routine_is_404_for_users_and_visible_to_trainers(
    api_client, user_client, trainer_client
):
    draft = RoutineFactory(name="Draft", published=False)
    assert api_client.get(routine_url(draft)).status_code == 404
    assert user_client.get(routine_url(draft)).status_code == 404
    assert user_client.get(ROUTINES_URL).json()["count"] == 0
    response = trainer_client.get(routine_url(draft))
    assert response.status_code == 200
    assert response.json()["published"] is False
    assert _names(trainer_client.get(ROUTINES_URL)) == ["Draft"]


def test_scope_filters_curated_or_own_routines(user_client, user, other_user):
    RoutineFactory(name="Curated")
    RoutineFactory(name="Mine", owner=user)
    RoutineFactory(name="Theirs", owner=other_user)
    assert _names(user_client.get(ROUTINES_URL, {"scope": "curated"})) == ["Curated"]
    assert _names(user_client.get(ROUTINES_URL, {"scope": "mine"})) == ["Mine"]


def test_unknown_scope_is_a_400_naming_it(user_client):
    response = user_client.get(ROUTINES_URL, {"scope": "everyone"})
    assert response.status_code == 400
    assert error_fields(response) == {"scope"}


# Writes


def test_create_makes_a_private_routine_owned_by_the_caller(user_client, user, other_user):
    march = ExerciseFactory(slug="band-march", unilateral=True)
    stretch = ExerciseFactory(slug="half-kneeling")
    curated = RoutineFactory()
    body = {
        "name": "My morning",
        "goal": "Loose hips before work.",
        "description": "Short.",
        "owner": other_user.pk,
        "curated": True,
        "published": True,
        "copied_from": curated.pk,
        "items": [
            {
                "exercise": "band-march",
                "sets": 2,
                "reps_per_side": 10,
                "rest_seconds": 20,
                "notes": "Slow.",
            },
            {"exercise": "half-kneeling", "hold_seconds": 30},
        ],
    }
    response = user_client.post(ROUTINES_URL, body, format="json")
    assert response.status_code == 201, response.json()
    routine = Routine.objects.get(pk=response.json()["id"])
    assert routine.owner == user
    assert not routine.published
    assert routine.copied_from is None
    assert (routine.name, routine.goal, routine.description) == (
        "My morning",
        "Loose hips before work.",
        "Short.",
    )
    assert _stored_items(routine) == [
        ("band-march", 2, 10, None, 20, "Slow."),
        ("half-kneeling", 1, None, 30, 0, ""),
    ]
    assert list(routine.items.values_list("position", flat=True)) == [1, 2]
    data = response.json()
    assert data["curated"] is False
    assert data["published"] is False
    assert data["copied_from"] is None
    assert [(i["exercise"], i["exercise_name"], i["unilateral"]) for i in data["items"]] == [
        ("band-march", march.name, True),
        ("half-kneeling", stretch.name, False),
    ]
    assert data["estimated_minutes"] == _expected_minutes(
        list(routine.items.select_related("exercise"))
    )


def test_anonymous_cannot_create_a_routine(api_client):
    body = {"name": "Mine", "items": [{"exercise": ExerciseFactory().slug, "hold_seconds": 30}]}
    response = api_client.post(ROUTINES_URL, body, format="json")
    assert response.status_code == 401
    assert not Routine.objects.exists()


def test_items_are_sorted_by_position(user_client):
    for slug in "abc":
        ExerciseFactory(slug=slug)
    items = [
        {"exercise": "a", "hold_seconds": 30, "position": 5},
        {"exercise": "b", "hold_seconds": 30, "position": 1},
        {"exercise": "c", "hold_seconds": 30, "position": 3},
    ]
    response = user_client.post(ROUTINES_URL, {"name": "Sorted", "items": items}, format="json")
    assert response.status_code == 201
    assert [i["exercise"] for i in response.json()["items"]] == ["b", "c", "a"]
    routine = Routine.objects.get()
    assert list(routine.items.values_list("exercise__slug", "position")) == [
        ("b", 1),
        ("c", 2),
        ("a", 3),
    ]


def test_positions_are_given_for_every_item_or_none(user_client):
    ExerciseFactory(slug="a")
    items = [
        {"exercise": "a", "hold_seconds": 30, "position": 0},
        {"exercise": "a", "hold_seconds": 30},
    ]
    response = user_client.post(ROUTINES_URL, {"name": "Half", "items": items}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"items"}
    assert not Routine.objects.exists()


def test_duplicate_positions_are_a_400_naming_the_item(user_client):
    ExerciseFactory(slug="a")
    items = [{"exercise": "a", "hold_seconds": 30, "position": p} for p in (0, 1, 0)]
    response = user_client.post(ROUTINES_URL, {"name": "Twice", "items": items}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"items.2.position"}
    assert not Routine.objects.exists()
    assert not RoutineItem.objects.exists()


@pytest.fixture
def own_routine(user):
    """The user's routine with items a, b, c in that order."""
    routine = RoutineFactory(name="Own", owner=user)
    for position, slug in enumerate("abc", start=1):
        RoutineItemFactory(routine=routine, position=position, exercise__slug=slug)
    return routine


def test_patch_reorders_items_in_one_request(user_client, own_routine):
    items = [
        {"exercise": "c", "hold_seconds": 30, "position": 0},
        {"exercise": "a", "hold_seconds": 30, "position": 2},
        {"exercise": "b", "hold_seconds": 30, "position": 1},
    ]
    response = user_client.patch(routine_url(own_routine), {"items": items}, format="json")
    assert response.status_code == 200, response.json()
    assert [i["exercise"] for i in response.json()["items"]] == ["c", "b", "a"]
    assert [row[0] for row in _stored_items(own_routine)] == ["c", "b", "a"]
    own_routine.refresh_from_db()
    assert own_routine.name == "Own"


def test_patch_without_items_keeps_them(user_client, own_routine):
    before = _stored_items(own_routine)
    response = user_client.patch(routine_url(own_routine), {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert [i["exercise"] for i in response.json()["items"]] == ["a", "b", "c"]
    assert _stored_items(own_routine) == before


def test_patch_item_without_its_exercise_is_a_400(user_client, own_routine):
    before = _stored_items(own_routine)
    response = user_client.patch(
        routine_url(own_routine), {"items": [{"hold_seconds": 30}]}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {"items.0.exercise"}
    assert _stored_items(own_routine) == before


def test_put_replaces_the_routine_and_its_items(user_client, own_routine):
    old_ids = set(own_routine.items.values_list("id", flat=True))
    body = {"name": "Replaced", "items": [{"exercise": "b", "sets": 3, "reps_per_side": 8}]}
    response = user_client.put(routine_url(own_routine), body, format="json")
    assert response.status_code == 200, response.json()
    own_routine.refresh_from_db()
    assert own_routine.name == "Replaced"
    assert _stored_items(own_routine) == [("b", 3, 8, None, 0, "")]
    assert not old_ids & set(RoutineItem.objects.values_list("id", flat=True))
    assert [i["exercise"] for i in response.json()["items"]] == ["b"]


def _set_item(**changes):
    return lambda body: body["items"][1].update(changes)


INVALID = [
    pytest.param(_set_item(sets=0), "items.1.sets", id="zero-sets"),
    pytest.param(_set_item(sets=21), "items.1.sets", id="too-many-sets"),
    pytest.param(_set_item(hold_seconds=-1), "items.1.hold_seconds", id="negative-hold"),
    pytest.param(_set_item(reps_per_side=100000), "items.1.reps_per_side", id="absurd-reps"),
    pytest.param(_set_item(rest_seconds=601), "items.1.rest_seconds", id="long-rest"),
    pytest.param(_set_item(position=-1), "items.1.position", id="negative-position"),
    pytest.param(_set_item(notes="x" * 301), "items.1.notes", id="long-notes"),
    pytest.param(_set_item(notes="a\x00b"), "items.1.notes", id="nul-in-notes"),
    pytest.param(
        lambda body: body["items"][1].pop("hold_seconds"),
        "items.1.reps_per_side",
        id="neither-reps-nor-hold",
    ),
    pytest.param(_set_item(exercise="no-such-exercise"), "items.1.exercise", id="unknown"),
    pytest.param(_set_item(exercise="draft"), "items.1.exercise", id="unpublished"),
    pytest.param(lambda body: body.update(items=[body["items"][0]] * 51), "items", id="51-items"),
    pytest.param(lambda body: body.update(name="Hip\x00Reset"), "name", id="nul-in-name"),
    pytest.param(lambda body: body.update(name="x" * 121), "name", id="long-name"),
]


def _valid_body() -> dict:
    return {
        "name": "Changed",
        "items": [
            {"exercise": "a", "hold_seconds": 30},
            {"exercise": "b", "sets": 2, "hold_seconds": 30},
        ],
    }


@pytest.mark.parametrize(("spoil", "field"), INVALID)
def test_invalid_create_is_a_400_naming_the_field_and_saves_nothing(user_client, spoil, field):
    ExerciseFactory(slug="a")
    ExerciseFactory(slug="b")
    ExerciseFactory(slug="draft", published=False)
    body = _valid_body()
    spoil(body)
    response = user_client.post(ROUTINES_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert error_fields(response) == {field}
    assert not Routine.objects.exists()
    assert not RoutineItem.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(("spoil", "field"), INVALID)
def test_invalid_update_is_a_400_naming_the_field_and_changes_nothing(
    user_client, own_routine, method, spoil, field
):
    ExerciseFactory(slug="draft", published=False)
    before = _stored_items(own_routine)
    body = _valid_body()
    spoil(body)
    response = getattr(user_client, method)(routine_url(own_routine), body, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {field}
    own_routine.refresh_from_db()
    assert own_routine.name == "Own"
    assert _stored_items(own_routine) == before
    assert Routine.objects.count() == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_user_cannot_change_or_delete_a_curated_routine(user_client, method):
    curated = RoutineItemFactory(routine__name="Curated", exercise__slug="a").routine
    body = {"name": "Defaced", "items": [{"exercise": "a", "hold_seconds": 5}]}
    response = getattr(user_client, method)(routine_url(curated), body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    curated.refresh_from_db()
    assert curated.name == "Curated"
    assert _stored_items(curated) == [("a", 1, None, 30, 0, "")]


def test_trainer_changes_and_deletes_a_curated_routine(trainer_client):
    curated = RoutineItemFactory(routine__name="Curated", exercise__slug="a").routine
    draft_exercise = ExerciseFactory(slug="draft", published=False)
    body = {"name": "Revised", "items": [{"exercise": draft_exercise.slug, "hold_seconds": 45}]}
    response = trainer_client.patch(routine_url(curated), body, format="json")
    assert response.status_code == 200, response.json()
    curated.refresh_from_db()
    assert curated.name == "Revised"
    assert curated.owner is None
    assert _stored_items(curated) == [("draft", 1, None, 45, 0, "")]

    assert trainer_client.delete(routine_url(curated)).status_code == 204
    assert not Routine.objects.exists()
    assert not RoutineItem.objects.exists()


def test_owner_deletes_own_routine(user_client, own_routine):
    assert user_client.delete(routine_url(own_routine)).status_code == 204
    assert not Routine.objects.exists()
    assert not RoutineItem.objects.exists()


# Copy


def _without_position(item: dict) -> dict:
    return {key: value for key, value in item.items() if key != "position"}


def test_copy_is_a_private_editable_copy(user_client, user):
    original = RoutineFactory(name="Curated", goal="Loose hips", description="Four moves.")
    RoutineItemFactory(
        routine=original,
        position=3,
        exercise__slug="a",
        exercise__unilateral=True,
        sets=2,
        reps_per_side=10,
        hold_seconds=None,
        rest_seconds=20,
        notes="Slow.",
    )
    RoutineItemFactory(routine=original, position=7, exercise__slug="b", hold_seconds=40)
    before = user_client.get(routine_url(original)).json()

    response = user_client.post(routine_url(original, "copy/"))
    assert response.status_code == 201, response.json()
    data = response.json()
    copy = Routine.objects.get(pk=data["id"])
    assert copy.owner == user
    assert not copy.published
    assert copy.copied_from == original
    assert (data["curated"], data["published"], data["copied_from"]) == (False, False, original.pk)
    assert (data["name"], data["goal"], data["description"]) == (
        "Curated",
        "Loose hips",
        "Four moves.",
    )
    # Same prescriptions in the same order; the copy numbers its positions from 1.
    assert [_without_position(i) for i in data["items"]] == [
        _without_position(i) for i in before["items"]
    ]
    assert [i["position"] for i in data["items"]] == [1, 2]
    assert data["estimated_minutes"] == before["estimated_minutes"]
    assert _stored_items(copy) == _stored_items(original)

    edit = {"name": "My take", "items": [{"exercise": "b", "hold_seconds": 60}]}
    assert user_client.patch(routine_url(copy), edit, format="json").status_code == 200
    after = user_client.get(routine_url(original)).json()
    assert after["name"] == "Curated"
    assert after["items"] == before["items"]


def test_a_copy_leaves_out_the_draft_exercises_its_owner_cannot_see(user_client, user):
    original = RoutineFactory(name="Curated")
    RoutineItemFactory(routine=original, position=1, exercise=ExerciseFactory(slug="shown"))
    RoutineItemFactory(
        routine=original, position=2, exercise=ExerciseFactory(slug="hidden", published=False)
    )

    response = user_client.post(routine_url(original, "copy/"))
    # The service on its own, given a routine fetched afresh, without the view's prefetch.
    direct = routine_copy(routine=Routine.objects.get(pk=original.pk), owner=user)

    assert response.status_code == 201
    assert [item["exercise"] for item in response.json()["items"]] == ["shown"]
    assert list(direct.items.values_list("exercise__slug", flat=True)) == ["shown"]


def test_copying_an_unpublished_curated_routine_is_refused(trainer_client):
    draft = RoutineItemFactory(routine__published=False).routine
    response = trainer_client.post(routine_url(draft, "copy/"))
    assert response.status_code == 400
    assert error_fields(response) == {"routine"}
    assert Routine.objects.count() == 1


def test_anonymous_cannot_copy(api_client):
    routine = RoutineItemFactory().routine
    assert api_client.post(routine_url(routine, "copy/")).status_code == 401
    assert Routine.objects.count() == 1


# Query budget


@pytest.mark.parametrize("count", [1, 20])
def test_routine_list_costs_the_same_queries_whatever_its_length(count, django_assert_num_queries):
    owner = UserFactory()
    for index in range(count):
        routine = RoutineFactory(owner=owner if index % 2 else None)
        RoutineItemFactory.create_batch(3, routine=routine, exercise__unilateral=bool(index % 3))
    client = api_client_for(owner)
    # Count, page of routines, their items with exercises. An app user is not staff, so no
    # permission queries are needed to know that drafts stay hidden.
    with django_assert_num_queries(3):
        response = client.get(ROUTINES_URL)
    assert response.status_code == 200
    assert len(response.json()["results"]) == count
    assert all(len(r["items"]) == 3 for r in response.json()["results"])


@pytest.mark.parametrize("count", [1, 20])
def test_anonymous_routine_list_costs_the_same_queries_whatever_its_length(
    api_client, count, django_assert_num_queries
):
    for _ in range(count):
        RoutineItemFactory.create_batch(2, routine=RoutineFactory())
    with django_assert_num_queries(3):
        response = api_client.get(ROUTINES_URL)
    assert len(response.json()["results"]) == count
