import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher costs a tenth of a second per user; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def user_client(user):
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def trainer(db):
    """A staff user in the "Trainers" group that migration 0002 fills with catalog permissions."""
    trainer = UserFactory(is_staff=True)
    trainer.groups.add(Group.objects.get(name="Trainers"))
    return trainer


@pytest.fixture
def trainer_client(trainer):
    client = APIClient()
    client.force_authenticate(user=trainer)
    return client


@pytest.fixture(autouse=True)
def _empty_cache():
    # Throttle counts live in the cache; each test starts with none.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_catalog_version(settings):
    # Tests run inside transactions that never commit, so the on-commit forgetting of the
    # catalog version never runs: read the version afresh on every request instead.
    from hipflex_api.changes.counters import forget_catalog_version

    settings.CATALOG_VERSION_SECONDS = 0
    forget_catalog_version()
