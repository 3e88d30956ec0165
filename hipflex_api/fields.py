"""Fields that take JSON at its word: a string must be a string, a number a number, a boolean
a boolean.

DRF turns `0` into "0" for a string, "10" into 10 for an integer (or a choice of integers),
and accepts `0`, "yes" and "on" as booleans. Clients generated from the schema never send
those on purpose, so accepting them only hides bugs.
"""

import functools
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, ClassVar, TypeVar

from django.db import models
from rest_framework import serializers


class _StrictString:
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(_StrictString, serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}


class StrictSlugField(_StrictString, serializers.SlugField):
    pass


class StrictEmailField(_StrictString, serializers.EmailField):
    pass


class StrictURLField(_StrictString, serializers.URLField):
    pass


# A UUID in a URL (a session's, a coaching link's), for routers' lookup_value_regex.
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class StrictUUIDField(_StrictString, serializers.UUIDField):
    """A UUID in its text form only; DRF would turn the number 7 into 00000000-...-0007."""


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def _is_number(data: Any) -> bool:
    # A whole float (10.0) is a JSON integer too, as JSON Schema counts them.
    return isinstance(data, int | float) and not isinstance(data, bool)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if not _is_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice in the JSON type of the choices: 2, not "2", for a difficulty of 1 to 3."""

    default_error_messages = {"invalid": "Must be {kind}."}

    def to_internal_value(self, data: Any) -> Any:
        numbers = all(_is_number(choice) for choice in self.choices)
        if not (_is_number(data) if numbers else isinstance(data, str)):
            self.fail("invalid", kind="a number" if numbers else "a string")
        return super().to_internal_value(data)


_FieldMapping = dict[type[models.Field], type[serializers.Field]]

STRICT_FIELD_MAPPING: _FieldMapping = {
    models.CharField: StrictCharField,
    models.TextField: StrictCharField,
    models.SlugField: StrictSlugField,
    models.EmailField: StrictEmailField,
    models.URLField: StrictURLField,
    models.UUIDField: StrictUUIDField,
    models.BooleanField: StrictBooleanField,
    # Every integer column DRF maps (small, positive, big, auto), each named in its mapping;
    # a big one too, which DRF gives a field of its own only to write it as a string if asked.
    **{
        column: StrictIntegerField
        for column, field in serializers.ModelSerializer.serializer_field_mapping.items()
        if issubclass(field, serializers.IntegerField)
    },
}


# A comment, not a docstring: drf-spectacular would give every subclass without a docstring
# of its own this text as its description in the schema.
#
# A ModelSerializer whose fields derived from the model take JSON at its word (see above).
class StrictModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **STRICT_FIELD_MAPPING,
    }
    serializer_choice_field = StrictChoiceField


def max_length_of(model: type[models.Model], field: str) -> int:
    """A model field's max_length, for a serializer field declared by hand."""
    length = model._meta.get_field(field).max_length  # type: ignore[union-attr]
    if length is None:
        raise TypeError(f"{model.__name__}.{field} has no max_length.")
    return int(length)


@functools.cache
def columns_of(serializer_class: type[serializers.Serializer]) -> tuple[str, ...]:
    """The model columns a serializer reads, as only() takes them: its fields' sources, with
    relations followed (`exercise.name` is `exercise__name`). Worked out once per class."""
    fields = serializer_class().fields.values()
    return tuple(
        str(field.source).replace(".", "__")
        for field in fields
        if field.source != "*" and not field.write_only
    )


class OneOfRequiredMixin:
    """At least one of `one_of_required` given, and not null: a set needs reps or a hold.

    The schema says the same with anyOf (hipflex_api.schema.state_one_of_required), so that a
    client learns the rule from it rather than from a 400.
    """

    one_of_required: ClassVar[tuple[str, ...]] = ()
    one_of_message: ClassVar[str] = ""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # type: ignore[misc]
        if all(attrs.get(name) is None for name in self.one_of_required):
            raise serializers.ValidationError({self.one_of_required[0]: [self.one_of_message]})
        return attrs


class WholeItemMixin:
    """For the items of a list that a write replaces whole (sets, routine items, muscles).

    In a PATCH, DRF lets every field of the request go missing, nested items included; but
    an item sent in a list replaces the old one entirely, so it must be complete.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            fields = self.fields.items()  # type: ignore[attr-defined]
            missing = {
                name: ["This field is required."]
                for name, field in fields
                if field.required and not field.read_only and name not in data
            }
            if missing:
                raise serializers.ValidationError(missing, code="required")
        return super().to_internal_value(data)  # type: ignore[misc]


HEALTH_DATA = "x-health-data"
# The OAuth2 scope that lets an app see it (accounts.scopes.Scope.PAIN_READ).
HEALTH_DATA_SCOPE = "pain:read"
_Field = TypeVar("_Field", bound=serializers.Field)

# Whether this request's answers leave health data out: an app's token without `pain:read`
# (accounts.auth) sets it; HealthDataMiddleware starts each request without it.
hides_health_data: ContextVar[bool] = ContextVar("hides_health_data", default=False)


def health_data(field: _Field) -> _Field:
    """Mark a field as health data (pain, and what it says of the body): the schema names it
    with `x-health-data: true`, for integrators bound by health-privacy rules, and an answer
    to an app not granted it leaves it out."""
    # In the field's style and its class: DRF makes each serializer's fields anew from
    # their class and arguments.
    field.style = {**field.style, "health_data": True}
    field._kwargs["style"] = field.style  # type: ignore[attr-defined]
    field.__class__ = _left_out_when_hidden(type(field))  # type: ignore[assignment,arg-type]
    return field


@functools.cache
def _left_out_when_hidden(kind: type[serializers.Field]) -> type[serializers.Field]:
    def get_attribute(self: serializers.Field, instance: Any) -> Any:
        if hides_health_data.get():
            raise serializers.SkipField()  # The serializer leaves the key out.
        return kind.get_attribute(self, instance)

    # Named as the field's own class: the schema's components are named after it.
    return type(
        kind.__name__,
        (kind,),
        {
            "get_attribute": get_attribute,
            "__qualname__": kind.__qualname__,
            "__module__": kind.__module__,
        },
    )


class HealthDataMiddleware:
    """Each request starts showing health data; an app's token without `pain:read` hides it."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = hides_health_data.set(False)
        try:
            return self.get_response(request)
        finally:
            hides_health_data.reset(token)


def is_health_data(field: serializers.Field) -> bool:
    return bool(getattr(field, "style", {}).get("health_data"))


def holding_health_data(serializer: serializers.Serializer) -> frozenset[str]:
    """The serializer's fields that are health data, or hold some in what they nest."""

    def holds(field: Any) -> bool:
        nested = getattr(field, "child", field)
        fields = getattr(nested, "fields", {}) if isinstance(nested, serializers.Serializer) else {}
        return is_health_data(field) or any(holds(inner) for inner in fields.values())

    return frozenset(name for name, field in serializer.fields.items() if holds(field))
