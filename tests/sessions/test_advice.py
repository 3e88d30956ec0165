"""GET /api/v1/exercises/{slug}/advice/: keep an exercise, ease off to its milder option when
recent sets hurt (or with caution when no milder option suits), or move on to its harder
option after several easy, pain-free sessions."""

import pytest
from django.utils import timezone

from sessions.coaching import advice_for
from tests.conftest import advice_url, session_url
from tests.factories import ExerciseFactory, ExerciseProgressionFactory
from tests.sessions.conftest import log_easy_sessions, log_session

pytestmark = pytest.mark.django_db


def get_advice(client, exercise):
    response = client.get(advice_url(exercise.slug))
    assert response.status_code == 200, response.json()
    return response.json()


# Who may ask


def test_unknown_exercise_is_404(user_client):
    assert user_client.get(advice_url("no-such-stretch")).status_code == 404


def test_unpublished_exercise_is_404_for_a_plain_user(user_client):
    draft = ExerciseFactory(published=False)
    assert user_client.get(advice_url(draft.slug)).status_code == 404


# Keep


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


def test_pain_free_recent_sets_keep_the_exercise(user_client, user, king_runner, half_kneeling):
    log_session(user, king_runner, pains=[0, 0], sides=["left", "right"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "keep"
    assert advice["suggested"] is None
    assert advice["recent_pain"] == 0
    assert "pain-free" in advice["reason"]


def test_a_little_pain_below_a_configured_threshold_keeps_the_exercise(
    settings, user_client, user, king_runner, half_kneeling
):
    settings.COACHING = {**settings.COACHING, "PAIN_THRESHOLD": 3}
    log_session(user, king_runner, pains=[2, 2], sides=["left", "right"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "keep"
    assert advice["suggested"] is None
    assert advice["recent_pain"] == 2
    assert "a little pain (2/10)" in advice["reason"]
    assert "pain-free" not in advice["reason"]


# Milder: "if you feel pain, choose a milder option"


def test_any_pain_suggests_the_milder_option(user_client, user, king_runner, half_kneeling):
    # The default threshold is 1: a pain of 1 is pain.
    log_session(user, king_runner, pains=[1])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["suggested"] == {"slug": "half-kneeling-stretch", "name": "Half-Kneeling Stretch"}
    assert advice["recent_pain"] == 1
    assert "pain 1/10" in advice["reason"]
    assert "Half-Kneeling Stretch" in advice["reason"]


def test_pain_on_one_side_suggests_the_milder_option_and_names_the_side(
    user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, pains=[0, 3], sides=["left", "right"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["suggested"]["slug"] == "half-kneeling-stretch"
    assert advice["recent_pain"] == 3
    # Both sides were logged and only the right one hurt.
    assert advice["painful_side"] == "right"
    assert "on the right side only" in advice["reason"]


def test_pain_on_the_left_only_names_the_side(user_client, user, king_runner, half_kneeling):
    log_session(user, king_runner, pains=[5, 0, 4, 0], sides=["left", "right", "left", "right"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["painful_side"] == "left"
    assert "on the left side only" in advice["reason"]


def test_a_little_pain_on_the_other_side_is_pain_on_both_sides(
    user_client, user, king_runner, half_kneeling
):
    # With the threshold at 1, a right side at 1 hurt too.
    log_session(user, king_runner, pains=[5, 0, 4, 1], sides=["left", "right", "left", "right"])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["painful_side"] is None
    assert "side only" not in advice["reason"]


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


def test_the_closest_milder_option_is_suggested(
    user_client, user, king_runner, half_kneeling, lying_stretch
):
    log_session(user, king_runner, pains=[4])

    assert get_advice(user_client, king_runner)["suggested"]["slug"] == "half-kneeling-stretch"


def test_a_milder_option_that_hurt_recently_is_passed_over_for_the_next(
    user_client, user, king_runner, half_kneeling, lying_stretch
):
    log_session(user, half_kneeling, days_ago=3, pains=[2])
    log_session(user, king_runner, days_ago=1, pains=[4])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["suggested"] == {
        "slug": "lying-hip-flexor-stretch",
        "name": "Lying Hip Flexor Stretch",
    }


def test_a_milder_option_whose_pain_has_expired_is_suggested_again(
    user_client, user, king_runner, half_kneeling
):
    log_session(user, half_kneeling, days_ago=40, pains=[6])
    log_session(user, king_runner, days_ago=1, pains=[4])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["suggested"]["slug"] == "half-kneeling-stretch"


# Caution: it hurt and no milder option suits


def test_pain_without_a_milder_option_is_a_caution(user_client, user, king_runner):
    log_session(user, king_runner, pains=[7])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "caution"
    assert advice["suggested"] is None
    assert advice["recent_pain"] == 7
    assert "no milder option" in advice["reason"]
    assert "ease off" in advice["reason"]
    assert "skip it" in advice["reason"]


def test_an_unpublished_milder_option_is_not_suggested(user_client, user, king_runner):
    draft = ExerciseFactory(name="Draft Kneeling Stretch", published=False)
    ExerciseProgressionFactory(milder=draft, harder=king_runner)
    log_session(user, king_runner, pains=[7])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "caution"
    assert advice["suggested"] is None
    assert "no milder option" in advice["reason"]
    assert "Draft Kneeling Stretch" not in advice["reason"]


def test_when_every_milder_option_hurt_too_the_advice_is_a_caution(
    user_client, user, king_runner, half_kneeling, lying_stretch
):
    log_session(user, half_kneeling, days_ago=5, pains=[3])
    log_session(user, lying_stretch, days_ago=4, pains=[1])
    log_session(user, king_runner, days_ago=1, pains=[6])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "caution"
    assert advice["suggested"] is None
    assert advice["recent_pain"] == 6
    assert "milder options hurt too" in advice["reason"]
    assert "ease off" in advice["reason"]


def test_a_caution_still_names_the_painful_side(user_client, user, king_runner):
    log_session(user, king_runner, pains=[0, 6], sides=["left", "right"])

    advice = get_advice(user_client, king_runner)

    assert (advice["action"], advice["painful_side"]) == ("caution", "right")
    assert "on the right side only" in advice["reason"]


# Back to the exercise after its milder option went well


def test_easy_sessions_of_the_milder_option_after_the_pain_say_try_it_again_gently(
    user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, days_ago=10, pains=[5])
    log_easy_sessions(user, half_kneeling, 8, 7)

    assert get_advice(user_client, king_runner)["action"] == "milder"

    log_easy_sessions(user, half_kneeling, 6)

    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "keep"
    assert advice["suggested"] is None
    assert advice["recent_pain"] == 5
    assert "try King Runner again, gently" in advice["reason"]
    assert "Half-Kneeling Stretch has been pain-free and easy 3 times" in advice["reason"]


def test_easy_sessions_of_the_milder_option_before_the_pain_do_not_count(
    user_client, user, king_runner, half_kneeling
):
    log_easy_sessions(user, half_kneeling, 12, 11, 10)
    log_session(user, king_runner, days_ago=9, pains=[5])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["suggested"]["slug"] == "half-kneeling-stretch"


def test_trying_again_and_hurting_again_goes_back_to_the_milder_option(
    user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, days_ago=10, pains=[5])
    log_easy_sessions(user, half_kneeling, 9, 8, 7)
    assert get_advice(user_client, king_runner)["action"] == "keep"

    log_session(user, king_runner, days_ago=2, pains=[4])

    assert get_advice(user_client, king_runner)["action"] == "milder"


@pytest.mark.parametrize(
    ("efforts", "pains"),
    [
        pytest.param([3, 6, 3], [0, 0, 0], id="one-session-effort-6"),
        pytest.param([3, None, 3], [0, 0, 0], id="one-session-without-effort"),
        pytest.param([3, 3, 3], [0, 1, 0], id="one-set-with-pain-1"),
    ],
)
def test_not_quite_easy_sessions_of_the_milder_option_keep_suggesting_it(
    user_client, user, king_runner, half_kneeling, lying_stretch, efforts, pains
):
    log_session(user, king_runner, days_ago=10, pains=[5])
    for days_ago, effort, pain in zip((9, 8, 7), efforts, pains, strict=True):
        log_session(user, half_kneeling, days_ago=days_ago, effort=effort, pains=[pain])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert "again, gently" not in advice["reason"]


# Harder


def test_three_easy_pain_free_sessions_in_a_row_suggest_the_harder_option(
    user_client, user, king_runner, couch_stretch
):
    for days_ago in (3, 2, 1):
        log_session(user, king_runner, days_ago=days_ago, effort=4, pains=[0, 0])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "harder"
    assert advice["suggested"] == {
        "slug": "elevated-couch-stretch",
        "name": "Elevated Couch Stretch",
    }
    assert "last 3 sessions" in advice["reason"]
    assert advice["sessions_considered"] == 3


def test_easy_sessions_without_a_harder_option_keep_it(user_client, user, king_runner):
    log_easy_sessions(user, king_runner, 3, 2, 1)

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "keep"
    assert advice["suggested"] is None
    assert "No harder option suits you yet" in advice["reason"]


def test_a_harder_option_that_hurt_recently_is_passed_over_for_the_next(
    user_client, user, king_runner, couch_stretch, wall_lunge
):
    log_easy_sessions(user, king_runner, 3, 2, 1)
    assert get_advice(user_client, king_runner)["suggested"]["slug"] == "elevated-couch-stretch"

    log_session(user, couch_stretch, days_ago=5, pains=[3])

    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "harder"
    assert advice["suggested"]["slug"] == "wall-lunge-stretch"


def test_when_every_harder_option_hurt_recently_it_keeps_the_exercise(
    user_client, user, king_runner, couch_stretch, wall_lunge
):
    log_session(user, couch_stretch, days_ago=6, pains=[3])
    log_session(user, wall_lunge, days_ago=5, pains=[1])
    log_easy_sessions(user, king_runner, 3, 2, 1)

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "keep"
    assert advice["suggested"] is None
    assert "No harder option suits you yet" in advice["reason"]


def test_a_harder_option_whose_pain_has_expired_is_proposed_again(
    user_client, user, king_runner, couch_stretch
):
    log_session(user, couch_stretch, days_ago=30, pains=[7])
    log_easy_sessions(user, king_runner, 3, 2, 1)

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "harder"
    assert advice["suggested"]["slug"] == "elevated-couch-stretch"


def test_a_harder_option_that_hurt_is_not_proposed_again(user_client, user, king_runner):
    """The review's regression: moved up from the Half-Kneeling Stretch to the King Runner,
    which then hurt, the user must not be sent back up to it."""
    half_kneeling = ExerciseFactory(name="Half-Kneeling Stretch", unilateral=True)
    ExerciseProgressionFactory(milder=half_kneeling, harder=king_runner)
    log_easy_sessions(user, half_kneeling, 6, 5, 4)
    assert get_advice(user_client, half_kneeling)["action"] == "harder"

    log_session(user, king_runner, days_ago=3, pains=[8])

    advice = get_advice(user_client, half_kneeling)
    assert advice["action"] == "keep"
    assert advice["suggested"] is None
    assert "No harder option suits you yet" in advice["reason"]
    back = get_advice(user_client, king_runner)
    assert (back["action"], back["suggested"]["slug"]) == ("milder", "half-kneeling-stretch")


@pytest.mark.parametrize(
    ("efforts", "pains"),
    [
        pytest.param([4, 4], [0, 0], id="only-two-sessions"),
        pytest.param([4, 6, 4], [0, 0, 0], id="one-session-effort-6"),
        pytest.param([4, None, 4], [0, 0, 0], id="one-session-without-effort"),
        # The oldest of three: out of the recent window, but it breaks the streak.
        pytest.param([4, 4, 4], [1, 0, 0], id="one-set-with-pain-1"),
    ],
)
def test_not_quite_easy_sessions_do_not_suggest_the_harder_option(
    user_client, user, king_runner, couch_stretch, efforts, pains
):
    days = range(len(efforts), 0, -1)
    for days_ago, effort, pain in zip(days, efforts, pains, strict=True):
        log_session(user, king_runner, days_ago=days_ago, effort=effort, pains=[pain])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == "keep"
    assert advice["suggested"] is None


def test_easy_sessions_count_only_the_latest_in_a_row(
    user_client, user, king_runner, couch_stretch
):
    log_session(user, king_runner, days_ago=10, effort=4)
    log_session(user, king_runner, days_ago=9, effort=4)
    log_session(user, king_runner, days_ago=8, effort=8)
    log_session(user, king_runner, days_ago=7, effort=3)
    log_session(user, king_runner, days_ago=6, effort=2)

    assert get_advice(user_client, king_runner)["action"] == "keep"

    log_session(user, king_runner, days_ago=5, effort=4)

    assert get_advice(user_client, king_runner)["action"] == "harder"


# What counts as recent


def test_pain_outside_the_recent_sessions_no_longer_forces_the_milder_option(
    user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, days_ago=3, pains=[6])
    log_session(user, king_runner, days_ago=2, pains=[0])

    assert get_advice(user_client, king_runner)["action"] == "milder"

    # RECENT_SESSIONS is 2: a third, later session pushes the painful one out of the window.
    log_session(user, king_runner, days_ago=1, pains=[0])

    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "keep"
    assert advice["recent_pain"] == 0


@pytest.mark.parametrize(
    ("days_ago", "action", "recent_pain"),
    [
        pytest.param(27, "milder", 9, id="27-days-ago-still-counts"),
        pytest.param(29, "keep", None, id="29-days-ago-has-expired"),
    ],
)
def test_pain_older_than_the_recent_days_expires(
    user_client, user, king_runner, half_kneeling, days_ago, action, recent_pain
):
    # Still the latest session with the exercise: only its age can put it out of the window.
    log_session(user, king_runner, days_ago=days_ago, pains=[9])

    advice = get_advice(user_client, king_runner)

    assert advice["action"] == action
    assert advice["recent_pain"] == recent_pain
    assert advice["sessions_considered"] == 1


def test_the_recent_days_follow_settings(settings, user_client, user, king_runner, half_kneeling):
    log_session(user, king_runner, days_ago=10, pains=[6])
    assert get_advice(user_client, king_runner)["action"] == "milder"

    settings.COACHING = {**settings.COACHING, "RECENT_DAYS": 7}
    assert get_advice(user_client, king_runner)["action"] == "keep"

    log_session(user, king_runner, days_ago=40, pains=[6])
    settings.COACHING = {**settings.COACHING, "RECENT_DAYS": 60}
    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "milder"
    assert advice["recent_pain"] == 6


def test_recent_means_started_last_not_logged_last(user_client, user, king_runner, half_kneeling):
    # Logged in the wrong order, as a phone that was offline uploads them.
    log_session(user, king_runner, days_ago=1, pains=[0])
    log_session(user, king_runner, days_ago=2, pains=[0])
    log_session(user, king_runner, days_ago=3, pains=[6])

    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "keep"
    assert advice["recent_pain"] == 0


def test_deleted_sessions_are_ignored(user_client, user, king_runner, half_kneeling):
    log_session(user, king_runner, days_ago=2, pains=[0])
    painful = log_session(user, king_runner, days_ago=1, pains=[8])
    assert get_advice(user_client, king_runner)["action"] == "milder"

    assert user_client.delete(session_url(painful.pk)).status_code == 204

    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "keep"
    assert advice["recent_pain"] == 0


def test_a_tombstone_does_not_take_a_recent_slot(user_client, user, king_runner, half_kneeling):
    log_session(user, king_runner, days_ago=3, pains=[5])
    log_session(user, king_runner, days_ago=2, pains=[0], deleted_at=timezone.now())
    log_session(user, king_runner, days_ago=1, pains=[0], deleted_at=timezone.now())

    assert get_advice(user_client, king_runner)["action"] == "milder"


def test_planned_sets_are_ignored(user_client, user, king_runner, half_kneeling, couch_stretch):
    log_session(user, king_runner, days_ago=6, pains=[6], done=False)
    log_session(user, king_runner, days_ago=5, pains=[6], done=False)

    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "keep"
    assert advice["sessions_considered"] == 0

    # Nor does a planned session push a painful one out of the recent window.
    log_session(user, king_runner, days_ago=4, pains=[5])
    log_session(user, king_runner, days_ago=3, pains=[0], done=False)
    log_session(user, king_runner, days_ago=2, pains=[0], done=False)
    assert get_advice(user_client, king_runner)["action"] == "milder"


def test_another_users_pain_never_affects_the_callers_advice(
    user_client, other_client, other_user, king_runner, half_kneeling
):
    log_session(other_user, king_runner, pains=[9])

    assert get_advice(other_client, king_runner)["action"] == "milder"
    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "keep"
    assert advice["sessions_considered"] == 0


def test_another_users_pain_with_the_milder_option_does_not_count(
    user_client, other_user, user, king_runner, half_kneeling
):
    log_session(other_user, half_kneeling, pains=[9])
    log_session(user, king_runner, pains=[4])

    assert get_advice(user_client, king_runner)["suggested"]["slug"] == "half-kneeling-stretch"


def test_another_exercises_pain_does_not_count(user_client, user, king_runner, half_kneeling):
    log_session(user, ExerciseFactory(), pains=[9])

    assert get_advice(user_client, king_runner)["action"] == "keep"


# Settings


def test_a_higher_pain_threshold_in_settings_keeps_the_exercise(
    settings, user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, pains=[4])
    assert get_advice(user_client, king_runner)["action"] == "milder"

    settings.COACHING = {**settings.COACHING, "PAIN_THRESHOLD": 6}

    advice = get_advice(user_client, king_runner)
    assert advice["action"] == "keep"
    assert "a little pain (4/10), below the 6/10" in advice["reason"]


def test_easy_thresholds_follow_settings(settings, user_client, user, king_runner, couch_stretch):
    log_session(user, king_runner, days_ago=2, effort=6)
    log_session(user, king_runner, days_ago=1, effort=6)
    assert get_advice(user_client, king_runner)["action"] == "keep"

    settings.COACHING = {**settings.COACHING, "EASY_SESSIONS": 2, "EASY_EFFORT": 6}

    assert get_advice(user_client, king_runner)["action"] == "harder"


def test_a_longer_recent_window_in_settings_remembers_older_pain(
    settings, user_client, user, king_runner, half_kneeling
):
    log_session(user, king_runner, days_ago=3, pains=[6])
    log_session(user, king_runner, days_ago=2, pains=[0])
    log_session(user, king_runner, days_ago=1, pains=[0])
    assert get_advice(user_client, king_runner)["action"] == "keep"

    settings.COACHING = {**settings.COACHING, "RECENT_SESSIONS": 3}

    assert get_advice(user_client, king_runner)["action"] == "milder"


# The service and its cost


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
    for days_ago in range(sessions, 0, -1):
        log_session(user, king_runner, days_ago=days_ago, pains=[2, 3], sides=["left", "right"])
        # The milder option's history is read too; before the pain, it does not say "try again".
        log_session(user, half_kneeling, days_ago=days_ago + 1, pains=[0])

    # The exercise, the exercise again with its milder and harder options (two queries), and
    # the recent sets of it and its options in one query. An app user is not staff, so no
    # permission queries are needed to know that drafts stay hidden.
    with django_assert_num_queries(5):
        advice = get_advice(user_client, king_runner)

    assert advice["action"] == "milder"
    assert advice["suggested"]["slug"] == "half-kneeling-stretch"
    assert advice["sessions_considered"] == min(sessions, 3)
