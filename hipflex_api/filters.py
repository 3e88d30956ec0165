from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.http import QueryDict
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


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time that can be stored: one whose UTC value falls within years 1-9999.

    `9999-12-31T23:00-05:00` parses, but its UTC value does not exist, and the database
    adapter would fail on it with a 500 instead of a 400.
    """

    def clean(self, value: Any) -> datetime | None:
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
