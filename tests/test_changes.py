"""Change numbers (hipflex_api.changes): one more per write, per scope, from 1."""

import pytest
from django.db import connection, transaction

from hipflex_api.changes.counters import (
    catalog_scope,
    next_change_seq,
    next_user_change_seq,
    user_scope,
)
from hipflex_api.changes.models import ChangeCounter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def numbers(scope, count):
    with transaction.atomic():
        return [next_change_seq(scope) for _ in range(count)]


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "update-then-select"])
def test_each_scope_counts_from_one_on_its_own(monkeypatch, returning):
    ChangeCounter.objects.filter(scope=catalog_scope()).delete()
    user = UserFactory()
    # Without RETURNING (SQLite before 3.35) the number takes an UPDATE and a SELECT.
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", returning)

    assert numbers(catalog_scope(), 3) == [1, 2, 3]
    assert numbers(user_scope(user.pk), 2) == [1, 2]
    assert numbers(catalog_scope(), 1) == [4]
    assert ChangeCounter.objects.get(scope=user_scope(user.pk)).value == 2


def test_a_number_taken_by_a_rolled_back_write_is_given_again():
    user = UserFactory()
    assert numbers(user_scope(user.pk), 1) == [1]

    def failing_write():
        with transaction.atomic():
            assert next_user_change_seq(user.pk) == 2
            raise RuntimeError("The write fails after taking its number.")

    with pytest.raises(RuntimeError, match="fails after"):
        failing_write()

    assert numbers(user_scope(user.pk), 1) == [2]


@pytest.mark.django_db(transaction=True)  # No test transaction around it.
def test_a_number_is_only_taken_inside_the_writing_transaction():
    with pytest.raises(RuntimeError, match="inside the writing transaction"):
        next_change_seq(catalog_scope())
