"""Every upload writes the session tables, and every index on them is one more write: none
may be the leading part of another, which serves its lookups already."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


def _indexes(table):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: tuple(info["columns"])
        for name, info in constraints.items()
        if (info["index"] or info["unique"]) and info["columns"]
    }


@pytest.mark.parametrize(
    "model",
    # A proxy's table is another app's, checked there.
    [m for m in apps.get_app_config("training_sessions").get_models() if not m._meta.proxy],
    ids=lambda model: model.__name__,
)
def test_no_index_is_the_leading_part_of_another(model):
    indexes = _indexes(model._meta.db_table)
    redundant = {
        (name, other)
        for name, columns in indexes.items()
        for other, wider in indexes.items()
        if other != name and wider[: len(columns)] == columns and len(wider) > len(columns)
    }
    assert redundant == set()


def test_the_composite_indexes_that_serve_the_foreign_keys_are_there():
    tables = {
        "training_sessions_workoutsession": ("user_id",),
        "training_sessions_setlog": ("session_id", "exercise_id"),
        "training_sessions_idempotencyrecord": ("user_id",),
    }
    for table, columns in tables.items():
        leading = {index[0] for index in _indexes(table).values()}
        assert set(columns) <= leading, table
