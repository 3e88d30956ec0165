from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from django_filters.fields import BaseCSVField, IsoDateTimeField
from rest_framework.exceptions import ErrorDetail, ValidationError

# A query parameter sent empty: refused where its type has no empty value (a number, a choice, a
# flag, a time), as the schema says, and not read as left out, which would hide a client's bug.
# Text and slugs may be empty (the schema's strings allow it), and then count as left out; an
# array sent empty is the empty list.
EMPTY_VALUE = "Must not be empty: leave the parameter out instead."


def refuse_empty(query: QueryDict, names: Iterable[str]) -> None:
    """A 400 naming each of these parameters that the request sent with an empty value."""
    empty = {
        name: [ErrorDetail(EMPTY_VALUE, code="blank")]
        for name in names
        if "" in query.getlist(name)
    }
    if empty:
        raise ValidationError(empty)


class _RefusesEmptyValues(forms.Form):
    data: QueryDict

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        for name, field in self.fields.items():
            # Text, a slug, or a list (`ordering=` is the empty list: the default order).
            emptiable = isinstance(field, forms.CharField | forms.ModelChoiceField | BaseCSVField)
            if not emptiable and "" in self.data.getlist(name):
                self.add_error(name, forms.ValidationError(EMPTY_VALUE, code="blank"))
        return cleaned


class FilterSet(django_filters.FilterSet):
    """The API's filters: a typed parameter sent empty is a 400 (see EMPTY_VALUE)."""

    def get_form_class(self) -> type[forms.Form]:
        form = super().get_form_class()
        return type(form.__name__, (_RefusesEmptyValues, form), {})


# Read in the server's time zone, a phone's local time would shift by hours.
OFFSET_REQUIRED = "Give the UTC offset too, such as 2025-03-01T07:30:00+01:00 or ...T06:30:00Z."


def _parsed(value: str) -> datetime | None:
    try:
        return parse_datetime(value.strip())
    except ValueError:  # Well formed, but no such time: 2025-02-30.
        return None


def utc_time(value: str) -> datetime | None:
    """`value` in UTC if it is an ISO 8601 time with its offset whose UTC value exists (within
    years 1-9999), else None."""
    parsed = _parsed(value)
    if parsed is None or parsed.tzinfo is None:
        return None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time with its offset that can be stored: one whose UTC value falls within
    years 1-9999.

    `9999-12-31T23:00-05:00` parses, but its UTC value does not exist, and the database
    adapter would fail on it with a 500 instead of a 400.
    """

    def clean(self, value: Any) -> datetime | None:
        if isinstance(value, str) and (parsed := _parsed(value)) and parsed.tzinfo is None:
            raise forms.ValidationError(OFFSET_REQUIRED, code="naive")
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            return cleaned.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError(
                "This time is out of range once converted to UTC.", code="overflow"
            ) from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField

    def __init__(self, *args: Any, help_text: str, **kwargs: Any) -> None:
        # The schema's description says what the field refuses.
        help_text += " With its UTC offset, such as `2025-03-01T07:30:00+01:00` or `...Z`."
        super().__init__(*args, help_text=help_text, **kwargs)
