"""Request bodies taken at their JSON word (hipflex_api.fields): a number must be a number."""

import pytest
from django.db import models
from rest_framework import serializers
from rest_framework.utils.field_mapping import ClassLookupDict

from exercises.models import Exercise
from hipflex_api.fields import StrictChoiceField, StrictIntegerField, StrictModelSerializer
from hipflex_api.ranges import Range


@pytest.mark.parametrize(
    "column",
    [
        models.IntegerField,
        models.SmallIntegerField,
        models.BigIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.PositiveBigIntegerField,
        models.AutoField,
        models.BigAutoField,
    ],
)
def test_every_integer_column_a_model_serializer_derives_is_strict(column):
    # Looked up as ModelSerializer looks it up: by the column's class, then its bases.
    derived = ClassLookupDict(StrictModelSerializer.serializer_field_mapping)

    assert derived[column()] is StrictIntegerField
    assert StrictModelSerializer.serializer_choice_field is StrictChoiceField


@pytest.mark.parametrize("value", ["5", "", True, None, [5], {"n": 5}])
def test_a_range_field_takes_a_json_number_not_a_string_of_one(value):
    field = Range("The count", 1, 10).field()

    with pytest.raises(serializers.ValidationError):
        field.run_validation(value)
    assert field.run_validation(5) == 5


@pytest.mark.parametrize(
    ("choices", "given", "taken"),
    [
        (Exercise.Difficulty.choices, "2", False),
        (Exercise.Difficulty.choices, True, False),
        (Exercise.Difficulty.choices, 2, True),
        (Exercise.Kind.choices, "stretch", True),
        (Exercise.Kind.choices, ["stretch"], False),
    ],
)
def test_a_choice_is_taken_in_the_json_type_of_its_choices(choices, given, taken):
    field = StrictChoiceField(choices=choices)

    if taken:
        assert field.run_validation(given) == given
    else:
        with pytest.raises(serializers.ValidationError):
            field.run_validation(given)
