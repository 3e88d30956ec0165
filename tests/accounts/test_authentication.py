"""Bearer authentication (hipflex_api.accounts.auth): simplejwt's checks, and the caller's change
numbers read with their row, so that a cached private read costs one query in all."""

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from hipflex_api.accounts.auth import user_with_versions
from hipflex_api.accounts.models import CoachingLink, User
from hipflex_api.accounts.services import coaching_link_end
from hipflex_api.changes.counters import (
    catalog_scope,
    next_change_seq,
    next_user_change_seq,
    user_version,
)
from hipflex_api.changes.models import ChangeCounter
from tests.conftest import (
    ME_URL,
    SESSIONS_URL,
    STATS_URL,
    STRONG_PASSWORD,
    SYNC_URL,
    bearer,
    upload_session,
)
from tests.factories import CoachingLinkFactory, ExerciseFactory, UserFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def exercise(db):
    return ExerciseFactory(name="King Runner", unilateral=True)


@pytest.mark.parametrize("url", [SESSIONS_URL, SYNC_URL, STATS_URL])
def test_a_cached_private_read_costs_one_query(
    url, bearer_client, exercise, django_assert_num_queries
):
    upload_session(bearer_client, exercise)
    first = bearer_client.get(url)
    assert first.status_code == 200, first.content

    with django_assert_num_queries(1):  # The caller's row with both change numbers.
        again = bearer_client.get(url)
    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]

    with django_assert_num_queries(1):
        not_modified = bearer_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304


@pytest.mark.parametrize("url", [SESSIONS_URL, SYNC_URL, STATS_URL])
def test_an_upload_changes_what_the_next_read_answers(url, bearer_client, exercise):
    before = bearer_client.get(url)
    assert before.status_code == 200, before.content

    session_id = upload_session(bearer_client, exercise)

    after = bearer_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200, after.content
    assert after["ETag"] != before["ETag"]
    assert session_id.encode() in after.content or url == STATS_URL
    assert after.json() != before.json()


def test_a_catalog_change_changes_the_sync_answer(bearer_client, exercise):
    before = bearer_client.get(SYNC_URL)
    assert before.status_code == 200, before.content

    with transaction.atomic():
        renamed = ExerciseFactory(name="Band March")

    after = bearer_client.get(SYNC_URL, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200, after.content
    assert after["ETag"] != before["ETag"]
    assert renamed.slug in {item["slug"] for item in after.json()["exercises"]}


def test_another_users_writes_leave_the_callers_answer_alone(bearer_client, exercise):
    before = bearer_client.get(SESSIONS_URL)
    upload_session(bearer(AccessToken.for_user(UserFactory())), exercise)

    assert bearer_client.get(SESSIONS_URL, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304


@pytest.mark.parametrize("coaching", [False, True])
def test_user_with_versions_reads_the_row_as_the_orm_does(user, coaching):
    found = user_with_versions(user.pk, coaching=coaching)
    stored = User.objects.get(pk=user.pk)

    for field in User._meta.concrete_fields:
        ours, orms = getattr(found, field.attname), getattr(stored, field.attname)
        assert ours == orms, field.name
        assert type(ours) is type(orms), field.name
    assert timezone.is_aware(found.date_joined)
    assert found.is_active is True
    assert found._state.adding is False
    assert found._state.db == "default"


def test_user_with_versions_reads_both_change_numbers(user):
    other = UserFactory()
    ChangeCounter.objects.filter(scope=catalog_scope()).delete()
    found = user_with_versions(user.pk)
    assert (found.user_changes, found.catalog_changes) == (0, 0)  # No counter rows yet.

    with transaction.atomic():
        for _ in range(3):
            next_user_change_seq(user.pk)
        next_user_change_seq(other.pk)
        next_change_seq(catalog_scope())
        next_change_seq(catalog_scope())

    found = user_with_versions(user.pk)
    assert (found.user_changes, found.catalog_changes) == (3, 2)


def test_the_version_read_with_the_user_is_the_one_read_on_its_own(user, bearer_client, exercise):
    upload_session(bearer_client, exercise)
    with transaction.atomic():
        next_change_seq(catalog_scope())

    assert user_version(user_with_versions(user.pk)) == user_version(User.objects.get(pk=user.pk))


def test_user_with_versions_of_an_unknown_id_is_none():
    assert user_with_versions(10**9) is None


def test_a_token_for_a_deleted_user_is_401(user, bearer_client):
    user.delete()
    assert_error(bearer_client.get(ME_URL), 401, "user_not_found")


def test_a_token_for_a_deactivated_user_is_401(user, bearer_client):
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert_error(bearer_client.get(SESSIONS_URL), 401, "user_inactive")


def test_a_token_from_before_a_password_change_is_401(user, bearer_client):
    user.set_password(STRONG_PASSWORD)
    user.save()
    assert_error(bearer_client.get(SYNC_URL), 401, "password_changed")


def test_a_signed_token_with_a_user_id_that_is_no_id_is_401(user):
    token = AccessToken.for_user(user)
    token["user_id"] = "not-a-number"
    assert_error(bearer(token).get(ME_URL), 401, "token_not_valid")


def test_a_signed_token_without_a_user_id_is_401(user):
    token = AccessToken.for_user(user)
    del token["user_id"]
    assert_error(bearer(token).get(ME_URL), 401, "token_not_valid")


@pytest.mark.parametrize(
    "user_id", [2**63, -(2**63) - 1, str(2**70)], ids=["int", "negative", "str"]
)
def test_a_signed_token_with_a_user_id_past_the_id_column_is_401_with_the_challenge(user, user_id):
    token = AccessToken.for_user(user)
    token["user_id"] = user_id

    response = bearer(token).get(ME_URL)

    assert_error(response, 401, "user_not_found")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_user_with_versions_of_an_id_past_the_id_column_is_none():
    assert user_with_versions(2**63) is None


def test_a_trainer_s_numbers_sum_their_standing_clients_and_count_their_links(trainer):
    ann, bea, gone = UserFactory(), UserFactory(), UserFactory()
    for client in (ann, bea, gone):
        CoachingLinkFactory(trainer=trainer, client=client)
    with transaction.atomic():
        for client, changes in ((ann, 2), (bea, 3), (gone, 5)):
            for _ in range(changes):
                next_user_change_seq(client.pk)
    before = user_with_versions(trainer.pk, coaching=True)
    coaching_link_end(link=CoachingLink.objects.get(client=gone), by="client")
    after = user_with_versions(trainer.pk, coaching=True)

    assert (before.clients_changes, before.can_coach) == (10, True)
    # The ended link's client counts no more, and its end moved the links' number.
    assert after.clients_changes == 2 + 3
    assert after.links_changes == before.links_changes + 1
    assert user_with_versions(ann.pk, coaching=True).can_coach is False
