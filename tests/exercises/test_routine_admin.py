import pytest
from django.contrib.auth.models import Group, Permission

from exercises.models import Routine, RoutineItem
from tests.conftest import routine_url
from tests.factories import ExerciseFactory, RoutineFactory, RoutineItemFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/exercises/routine/"
ADD = "/admin/exercises/routine/add/"
ITEM_FIELDS = ["sets", "reps_per_side", "hold_seconds", "rest_seconds", "notes"]


def _change_url(routine: Routine) -> str:
    return f"/admin/exercises/routine/{routine.pk}/change/"


def _form_data(fields: dict, items: list[dict], *, initial: int = 0) -> dict:
    """The routine form as a browser posts it, with its items inline."""
    data = {
        "_save": "Save",
        "goal": "",
        "description": "",
        **fields,
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(initial),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(items):
        row = {"sets": "1", "reps_per_side": "", "hold_seconds": "", "rest_seconds": "0"}
        row.update(item)
        data.update({f"items-{index}-{key}": value for key, value in row.items()})
    return data


def _order(routine: Routine) -> list[str]:
    return list(routine.items.values_list("exercise__slug", flat=True))


def test_changelist_lists_curated_routines_only(trainer_browser):
    RoutineFactory(name="Hip Flexor Reset")
    RoutineFactory(name="Curated draft", published=False)
    private = RoutineFactory(name="Alices own routine", owner=UserFactory())
    response = trainer_browser.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hip Flexor Reset" in html
    assert "Curated draft" in html
    assert "Alices own routine" not in html
    # Nor can a trainer open a user's routine by its id.
    assert trainer_browser.get(_change_url(private)).status_code == 302


def test_trainer_adds_a_routine_with_its_items(trainer_browser):
    band = ExerciseFactory(slug="band-march", unilateral=True)
    stretch = ExerciseFactory(slug="half-kneeling-stretch")
    page = trainer_browser.get(ADD)
    assert 'name="items-TOTAL_FORMS"' in page.content.decode()
    data = _form_data(
        {"name": "Desk Break", "goal": "Undo sitting.", "published": "on"},
        [
            {"position": "2", "exercise": str(stretch.pk), "hold_seconds": "30"},
            {
                "position": "1",
                "exercise": str(band.pk),
                "sets": "2",
                "reps_per_side": "10",
                "rest_seconds": "30",
                "notes": "Slow.",
            },
        ],
    )
    response = trainer_browser.post(ADD, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    routine = Routine.objects.get()
    assert routine.owner is None
    assert routine.published
    assert routine.goal == "Undo sitting."
    assert list(routine.items.values_list("exercise__slug", *ITEM_FIELDS)) == [
        ("band-march", 2, 10, None, 30, "Slow."),
        ("half-kneeling-stretch", 1, None, 30, 0, ""),
    ]


def test_trainer_swaps_two_items(trainer_browser):
    routine = RoutineFactory(name="Swap")
    first = RoutineItemFactory(routine=routine, position=1, exercise__slug="a")
    second = RoutineItemFactory(routine=routine, position=2, exercise__slug="b")
    rows = [
        {"id": str(item.pk), "routine": str(routine.pk), "exercise": str(item.exercise_id)}
        | {"position": position, "hold_seconds": "30"}
        for item, position in ((first, "2"), (second, "1"))
    ]
    data = _form_data({"name": "Swap", "published": "on"}, rows, initial=2)
    response = trainer_browser.post(_change_url(routine), data)
    assert response.status_code == 302
    assert _order(routine) == ["b", "a"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        pytest.param(
            {"sets": "0", "hold_seconds": "30"}, "Sets must be from 1 to 20.", id="zero-sets"
        ),
        pytest.param(
            {"hold_seconds": "601"}, "The hold must be from 1 to 600 seconds", id="long-hold"
        ),
        pytest.param({}, "Give reps per side, a hold time, or both.", id="neither-reps-nor-hold"),
    ],
)
def test_admin_refuses_an_item_outside_the_limits_in_words_a_trainer_reads(
    trainer_browser, item, message
):
    exercise = ExerciseFactory()
    row = {"position": "1", "exercise": str(exercise.pk), **item}
    response = trainer_browser.post(ADD, _form_data({"name": "Broken"}, [row]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Routine.objects.exists()
    assert not RoutineItem.objects.exists()


def test_preview_shows_the_routine_as_the_app_will(trainer_browser, api_client):
    routine = RoutineFactory(name="Hip Flexor Reset", goal="Looser hips.")
    RoutineItemFactory(
        routine=routine,
        position=1,
        exercise__name="Band March",
        exercise__unilateral=True,
        sets=2,
        reps_per_side=10,
        hold_seconds=None,
        rest_seconds=30,
    )
    RoutineItemFactory(
        routine=routine, position=2, exercise__name="King Runner", exercise__unilateral=True
    )
    RoutineItemFactory(routine=routine, position=3, exercise__name="Wall Sit", hold_seconds=45)
    html = trainer_browser.get(_change_url(routine)).content.decode()
    assert "As the app shows it" in html
    assert "<strong>Band March</strong>: 2 sets, 10 reps per side, rest 30 s" in html
    assert "<strong>King Runner</strong>: 1 set, hold 30 s per side" in html
    assert "<strong>Wall Sit</strong>: 1 set, hold 45 s" in html
    assert html.index("Band March</strong>") < html.index("King Runner</strong>")
    # 2 sets x 2 sides x (10 reps x 3 s + 30 s rest) + 2 x 30 s + 45 s = 345 s: 6 minutes.
    minutes = api_client.get(routine_url(routine)).json()["estimated_minutes"]
    assert minutes == 6
    assert f"about {minutes} min" in html


def test_preview_of_a_new_routine_asks_to_save_it_first(trainer_browser):
    assert "Save the routine to see it" in trainer_browser.get(ADD).content.decode()


def test_trainer_publishes_and_unpublishes_with_the_list_actions(trainer_browser):
    draft = RoutineFactory(published=False)
    RoutineItemFactory(routine=draft)
    before = draft.updated_at
    response = trainer_browser.post(
        CHANGELIST, {"action": "publish", "_selected_action": [str(draft.pk)]}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published
    assert draft.updated_at > before

    response = trainer_browser.post(
        CHANGELIST, {"action": "unpublish", "_selected_action": [str(draft.pk)]}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert not draft.published


def test_autocomplete_finds_exercises_for_routine_items(trainer_browser):
    ExerciseFactory(name="King Runner")
    ExerciseFactory(name="Gravity Assisted Stretch")
    response = trainer_browser.get(
        "/admin/autocomplete/",
        {
            "term": "king",
            "app_label": "exercises",
            "model_name": "routineitem",
            "field_name": "exercise",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["King Runner"]


def test_staff_without_the_trainers_group_is_refused(client):
    routine = RoutineFactory()
    client.force_login(UserFactory(is_staff=True))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(_change_url(routine)).status_code == 403
    assert client.post(ADD, _form_data({"name": "Sneaky"}, [])).status_code == 403
    assert list(Routine.objects.all()) == [routine]


def test_trainers_group_holds_exactly_the_routine_permissions_on_top_of_the_catalog():
    routine_models = ["routine", "routineitem"]
    routine_permissions = {
        f"{action}_{model}"
        for action in ("add", "change", "delete", "view")
        for model in routine_models
    }
    catalog = set(
        Permission.objects.filter(content_type__app_label="exercises")
        # Bookkeeping no trainer edits: seed records and the sync feed's deletion records.
        .exclude(content_type__model__in=["seedrecord", "deletedexercise", *routine_models])
        .values_list("codename", flat=True)
    )
    granted = Group.objects.get(name="Trainers").permissions.filter(
        content_type__app_label="exercises"
    )
    assert set(granted.values_list("codename", flat=True)) == catalog | routine_permissions
    assert not catalog & routine_permissions


def test_a_routine_without_items_or_with_draft_exercises_is_not_published(trainer_browser):
    empty = RoutineFactory(published=False, name="Empty")
    with_draft = RoutineFactory(published=False, name="Drafty")
    RoutineItemFactory(routine=with_draft, exercise=ExerciseFactory(name="Secret", published=False))

    response = trainer_browser.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [str(empty.pk), str(with_draft.pk)]},
        follow=True,
    )

    page = response.content.decode()
    assert "“Empty” was not published: it has no exercises yet." in page
    assert "“Drafty” was not published: publish these exercises first: Secret." in page
    empty.refresh_from_db()
    with_draft.refresh_from_db()
    assert not empty.published
    assert not with_draft.published
