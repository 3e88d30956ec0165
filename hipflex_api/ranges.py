"""Named ranges for numbers the API takes, each the one source of its database constraint
and its serializer field, so that the two can never disagree."""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q
from rest_framework import serializers

from hipflex_api.fields import StrictIntegerField


@dataclass(frozen=True)
class Range:
    """Whole numbers from `low` to `high`; `label` and `unit` word the constraint's message
    for a trainer ("The hold must be from 1 to 600 seconds")."""

    label: str
    low: int
    high: int
    unit: str = ""

    def condition(self, field: str, *, nullable: bool) -> Q:
        # A low of 0 is the column's own floor (a positive integer field): only the top is checked.
        bounds = (
            Q(**{f"{field}__lte": self.high})
            if self.low == 0
            else Q(**{f"{field}__gte": self.low, f"{field}__lte": self.high})
        )
        return Q(**{f"{field}__isnull": True}) | bounds if nullable else bounds

    def message(self, *, nullable: bool) -> str:
        span = f"at most {self.high}" if self.low == 0 else f"from {self.low} to {self.high}"
        return f"{self.label} must be {span}{self.unit}{', or empty' if nullable else ''}."

    def constraint(self, field: str, *, name: str, nullable: bool) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=self.condition(field, nullable=nullable),
            name=name,
            violation_error_message=self.message(nullable=nullable),
        )

    def field(self, **kwargs: Any) -> serializers.IntegerField:
        """The serializer field that takes this range (a JSON number, not a string of one); the
        rest of its options as given."""
        return StrictIntegerField(min_value=self.low, max_value=self.high, **kwargs)

    def schema(self, *, default: int | None = None) -> dict[str, Any]:
        """The JSON Schema of a query parameter in this range, for its OpenAPI declaration."""
        schema: dict[str, Any] = {"type": "integer", "minimum": self.low, "maximum": self.high}
        return schema if default is None else {**schema, "default": default}
