import pytest

from tests.conftest import browser_for
from tests.factories import SetLogFactory, UserFactory, WorkoutSessionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/training_sessions/workoutsession/"


@pytest.fixture
def superuser_browser(db):
    return browser_for(UserFactory(is_staff=True, is_superuser=True))


@pytest.fixture
def logged_set():
    return SetLogFactory(session=WorkoutSessionFactory(notes="Left hip felt tight."), pain=3)


def test_superuser_can_read_a_session_and_its_sets(superuser_browser, logged_set):
    session = logged_set.session
    assert str(session.id) in superuser_browser.get(CHANGELIST).content.decode()
    page = superuser_browser.get(f"{CHANGELIST}{session.pk}/change/").content.decode()
    assert "Left hip felt tight." in page
    assert logged_set.exercise.name in page
    # Support must tell a set planned from a routine from one done.
    assert "Done" in page
    assert "Rest seconds" in page
    assert "Routine name" in page


def test_superuser_cannot_change_add_or_delete_logs(superuser_browser, logged_set):
    session = logged_set.session
    assert superuser_browser.get(f"{CHANGELIST}add/").status_code == 403
    assert (
        superuser_browser.post(f"{CHANGELIST}{session.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    page = superuser_browser.get(f"{CHANGELIST}{session.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    session.refresh_from_db()
    assert session.deleted_at is None


def test_trainers_do_not_see_users_logs(trainer_browser, logged_set):
    assert trainer_browser.get(CHANGELIST).status_code == 403
    assert trainer_browser.get(f"{CHANGELIST}{logged_set.session.pk}/change/").status_code == 403
    # They see the app (their clients, their programs), never the logs' own pages.
    assert CHANGELIST not in trainer_browser.get("/admin/").content.decode()
