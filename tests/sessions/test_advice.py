"""GET /api/v1/exercises/{slug}/advice/: keep an exercise, ease off to its milder option when
recent sets hurt, or move on to its harder option after several easy, pain-free sessions."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from sessions.coaching import advice_for
from tests.factories import (
    ExerciseFactory,
    ExerciseProgressionFactory,
    SetLogFactory,
    WorkoutSessionFactory,
)

pytestmark = pytest.mark.django_db

DAY_ONE = datetime(2025, 3, 1, 7, 0, tzinfo=UTC)


def advice_url(exercise):
    return f"/api/v1/exercises/{exercise.slug}/advice/"


def get_advice(client, exercise):
    response = client.get(advice_url(exercise))
    assert response.status_code == 200, response.json()
    return response.json()


def log_session(user, exercise, *, day=0, effort=4, pains=(0,), sides=None, done=True, **extra):
    """One session `day` days after DAY_ONE with one set of `exercise` per pain given."""
    session = WorkoutSessionFactory(
        user=user, started_at=DAY_ONE + timedelta(days=day), perceived_effort=effort, **extra
    )
    sides = sides or ["left" if exercise.unilateral else "both"] * len(pains)
    for position, (pain, side) in enumerate(zip(pains, sides, strict=True)):
        SetLogFactory(
            session=session, position=position, exercise=exercise, side=side, pain=pain, done=done
        )
    return session


@pytest.fixture
def half_kneeling(king_runner):
    """The King Runner's milder option: the article's basic Half-Kneeling Stretch."""
    milder = ExerciseFactory(name="Half-Kneeling Stretch", unilateral=True)
    ExerciseProgressionFactory(milder=milder, harder=king_runner)
    return milder


@pytest.fixture
def couch_stretch(king_runner):
    """A harder option of the King Runner."""
    harder = ExerciseFactory(name="Elevated Couch Stretch", unilateral=True, difficulty=3)
    ExerciseProgressionFactory(milder=king_runner, harder=harder)
    return harder


def test_anonymous_caller_is_401(api_client, king_runner):
    assert api_client.get(advice_url(king_runner)).status_code == 401


def test_unknown_exercise_is_404(user_client):
    assert user_client.get("/api/v1/exercises/no-such-stretch/advice/").status_code == 404


def test_unpublished_exercise_is_404_for_a_plain_user(user_client):
    draft = ExerciseFactory(published=False)
    assert user_client.get(advice_url(draft)).status_code == 404


def test_no_history_keeps_the_exercise(user_client, king_runner, half_kneeling):
    advice = get_advice(user_client, king_runner)
    assert advice == {
        "exercise": "king-runner",
        "action": "keep",
        "suggested": None,
        "reason": advice["reason"],
        "painful_side": None,
        "recent_pain": None,
        "sessions_considered": 0,
    }
    assert "No sets of King Runner" in advice["reason"]


def test_recent_pain_at_the_threshold_suggests_the_milder_option(
    user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, pains=[0, 3], sides=["left", "right"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["suggested"] == {"slug": "half-kneeling-stretch", "name": "Half-Kneeling Stretch"}
    assert advice["recent_pain"] == 3
    assert "pain 3/10" in advice["reason"]
    assert "Half-Kneeling Stretch" in advice["reason"]
    # Both sides were logged and only the right one hurt.
    assert advice["painful_side"] == "right"


def test_pain_on_the_left_only_names_the_side(user_client, user, king_runner, half_kneeling):
    log_session(user, king_runner, pains=[5, 0, 4, 1], sides=["left", "right", "left", "right"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["painful_side"] == "left"
    assert "on the left side only" in advice["reason"]


def test_pain_on_both_sides_names_no_side(user_client, user, king_runner, half_kneeling):
    log_session(user, king_runner, pains=[5, 3], sides=["left", "right"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["painful_side"] is None
    assert "side only" not in advice["reason"]


def test_a_painful_set_done_on_both_sides_is_not_pain_on_one_side(
    user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, pains=[4, 0, 6], sides=["left", "right", "both"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["painful_side"] is None
    assert "side only" not in advice["reason"]


def test_pain_below_the_threshold_keeps_the_exercise(user_client, user, king_runner, half_kneeling):
    log_session(user, king_runner, pains=[2, 2], sides=["left", "right"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "keep"
    assert advice["suggested"] is None
    assert advice["recent_pain"] == 2


def test_pain_without_a_milder_option_keeps_it_and_says_so(user_client, user, king_runner):
    log_session(user, king_runner, pains=[7])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "keep"
    assert advice["suggested"] is None
    assert advice["recent_pain"] == 7
    assert "no milder option" in advice["reason"]


def test_an_unpublished_milder_option_is_not_suggested(user_client, user, king_runner):
    draft = ExerciseFactory(name="Draft Kneeling Stretch", published=False)
    ExerciseProgressionFactory(milder=draft, harder=king_runner)
    log_session(user, king_runner, pains=[7])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "keep"
    assert advice["suggested"] is None
    assert "no milder option" in advice["reason"]


def test_the_closest_milder_option_is_suggested(user_client, user, king_runner):
    gentlest = ExerciseFactory(name="Lying Hip Flexor Stretch", difficulty=1)
    closer = ExerciseFactory(name="Half-Kneeling Stretch", difficulty=2)
    for milder in (gentlest, closer):
        ExerciseProgressionFactory(milder=milder, harder=king_runner)
    log_session(user, king_runner, pains=[4])

    assert get_advice(user_client, king_runner)["suggested"]["slug"] == "half-kneeling-stretch"


def test_three_easy_pain_free_sessions_in_a_row_suggest_the_harder_option(
    user_client, user, king_runner, couch_stretch
):
    for day in range(3):
        log_session(user, king_runner, day=day, effort=4, pains=[0, 0], sides=["left", "right"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "harder"
    assert advice["suggested"] == {
        "slug": "elevated-couch-stretch",
        "name": "Elevated Couch Stretch",
    }
    assert "last 3 sessions" in advice["reason"]
    assert advice["sessions_considered"] == 3


def test_easy_sessions_without_a_harder_option_keep_it(user_client, user, king_runner):
    for day in range(3):
        log_session(user, king_runner, day=day)

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "keep"
    assert "no harder option" in advice["reason"]


@pytest.mark.parametrize(
    ("efforts", "pains"),
    [
        pytest.param([4, 4], [0, 0], id="only-two-sessions"),
        pytest.param([4, 6, 4], [0, 0, 0], id="one-session-effort-6"),
        pytest.param([4, None, 4], [0, 0, 0], id="one-session-without-effort"),
        pytest.param([4, 4, 4], [0, 1, 0], id="one-set-with-pain-1"),
    ],
)
def test_not_quite_easy_sessions_do_not_suggest_the_harder_option(
    user_client, user, king_runner, couch_stretch, efforts, pains
):
    for day, (effort, pain) in enumerate(zip(efforts, pains, strict=True)):
        log_session(user, king_runner, day=day, effort=effort, pains=[pain])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "keep"
    assert advice["suggested"] is None


def test_easy_sessions_count_only_the_latest_in_a_row(
    user_client, user, king_runner, couch_stretch
):
    log_session(user, king_runner, day=0, effort=4)
    log_session(user, king_runner, day=1, effort=4)
    log_session(user, king_runner, day=2, effort=8)
    log_session(user, king_runner, day=3, effort=3)
    log_session(user, king_runner, day=4, effort=2)

    assert get_advice(user_client, king_runner)["action"] == "keep"

    log_session(user, king_runner, day=5, effort=4)

    assert get_advice(user_client, king_runner)["action"] == "harder"


def test_pain_outside_the_recent_sessions_no_longer_forces_the_milder_option(
    user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, day=0, pains=[6])
    log_session(user, king_runner, day=1, pains=[1])

    assert get_advice(user_client, king_runner)["action"] == "milder"

    # RECENT_SESSIONS is 2: a third, later session pushes the painful one out of the window.
    log_session(user, king_runner, day=2, pains=[0])

    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "keep"
    assert advice["recent_pain"] == 1


def test_recent_means_started_last_not_logged_last(user_client, user, king_runner, half_kneeling):
    # Logged in the wrong order, as a phone that was offline uploads them.
    log_session(user, king_runner, day=2, pains=[0])
    log_session(user, king_runner, day=1, pains=[0])
    log_session(user, king_runner, day=0, pains=[6])

    assert get_advice(user_client, king_runner)["action"] == "keep"


def test_deleted_sessions_are_ignored(user_client, user, king_runner, half_kneeling):
    log_session(user, king_runner, day=0, pains=[0])
    painful = log_session(user, king_runner, day=1, pains=[8])
    assert get_advice(user_client, king_runner)["action"] == "milder"

    assert user_client.delete(f"/api/v1/sessions/{painful.pk}/").status_code == 204

    assert get_advice(user_client, king_runner)["action"] == "keep"


def test_a_tombstone_does_not_take_a_recent_slot(user_client, user, king_runner, half_kneeling):
    log_session(user, king_runner, day=0, pains=[5])
    log_session(user, king_runner, day=1, pains=[0], deleted_at=timezone.now())
    log_session(user, king_runner, day=2, pains=[0], deleted_at=timezone.now())

    assert get_advice(user_client, king_runner)["action"] == "milder"


def test_planned_sets_are_ignored(user_client, user, king_runner, half_kneeling, couch_stretch):
    log_session(user, king_runner, day=0, pains=[6], done=False)
    log_session(user, king_runner, day=1, pains=[6], done=False)

    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "keep"
    assert advice["sessions_considered"] == 0

    # Nor does a planned session push a painful one out of the recent window.
    log_session(user, king_runner, day=2, pains=[5])
    log_session(user, king_runner, day=3, pains=[0], done=False)
    log_session(user, king_runner, day=4, pains=[0], done=False)
    assert get_advice(user_client, king_runner)["action"] == "milder"


def test_another_users_pain_never_affects_the_callers_advice(
    user_client, other_client, other_user, king_runner, half_kneeling
):
    log_session(other_user, king_runner, pains=[9])

    assert get_advice(other_client, king_runner)["action"] == "milder"
    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "keep"
    assert advice["sessions_considered"] == 0


def test_another_exercises_pain_does_not_count(user_client, user, king_runner, half_kneeling):
    log_session(user, ExerciseFactory(), pains=[9])

    assert get_advice(user_client, king_runner)["action"] == "keep"


def test_a_higher_pain_threshold_in_settings_keeps_the_exercise(
    settings, user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, pains=[4])
    assert get_advice(user_client, king_runner)["action"] == "milder"

    settings.COACHING = {**settings.COACHING, "PAIN_THRESHOLD": 6}

    assert get_advice(user_client, king_runner)["action"] == "keep"


def test_easy_thresholds_follow_settings(settings, user_client, user, king_runner, couch_stretch):
    log_session(user, king_runner, day=0, effort=6)
    log_session(user, king_runner, day=1, effort=6)
    assert get_advice(user_client, king_runner)["action"] == "keep"

    settings.COACHING = {**settings.COACHING, "EASY_SESSIONS": 2, "EASY_EFFORT": 6}

    assert get_advice(user_client, king_runner)["action"] == "harder"


def test_a_longer_recent_window_in_settings_remembers_older_pain(
    settings, user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, day=0, pains=[6])
    log_session(user, king_runner, day=1, pains=[0])
    log_session(user, king_runner, day=2, pains=[0])
    assert get_advice(user_client, king_runner)["action"] == "keep"

    settings.COACHING = {**settings.COACHING, "RECENT_SESSIONS": 3}

    assert get_advice(user_client, king_runner)["action"] == "milder"


def test_advice_for_several_exercises_at_once(user, king_runner, half_kneeling, band_march):
    log_session(user, king_runner, pains=[5])

    advice = advice_for(user=user, exercise_ids=[king_runner.pk, band_march.pk])

    assert advice[king_runner.pk].action == "milder"
    assert advice[king_runner.pk].suggested == half_kneeling
    assert advice[band_march.pk].action == "keep"


@pytest.mark.parametrize("sessions", [1, 40])
def test_advice_takes_the_same_queries_however_long_the_history(
    django_assert_num_queries, user_client, user, king_runner, half_kneeling, sessions
):
    for day in range(sessions):
        log_session(user, king_runner, day=day, pains=[2, 3], sides=["left", "right"])

    # The caller's permissions (user and group), the exercise, the exercise again with its
    # milder and harder options, and the recent sets.
    with django_assert_num_queries(7):
        advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["sessions_considered"] == min(sessions, 3)
