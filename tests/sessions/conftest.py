import pytest
from rest_framework.test import APIClient

from tests.factories import ExerciseFactory, UserFactory


@pytest.fixture
def king_runner(db):
    return ExerciseFactory(name="King Runner", unilateral=True)


@pytest.fixture
def band_march(db):
    return ExerciseFactory(name="Band March", kind="strengthen")


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def other_client(other_user):
    client = APIClient()
    client.force_authenticate(user=other_user)
    return client
