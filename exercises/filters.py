from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from hipflex_api.filters import FilterSet, UtcIsoDateTimeFilter

from .models import Equipment, Exercise, ExerciseAlias, Muscle, Routine


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """`true` or `false`; anything else is a 400 rather than silently ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class StableOrderingFilter(django_filters.OrderingFilter):
    """Breaks ties by name and id so that pages never overlap or skip a row."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if not value:
            return qs
        return (
            super()
            .filter(qs, value)
            .order_by(*[self.get_ordering_value(param) for param in value], "name", "pk")
        )


class ExerciseFilter(FilterSet):
    kind = django_filters.ChoiceFilter(choices=Exercise.Kind.choices)
    difficulty = django_filters.TypedChoiceFilter(
        choices=Exercise.Difficulty.choices, coerce=int, help_text="Exactly this difficulty."
    )
    max_difficulty = django_filters.TypedChoiceFilter(
        field_name="difficulty",
        lookup_expr="lte",
        choices=Exercise.Difficulty.choices,
        coerce=int,
        help_text="This difficulty or easier.",
    )
    unilateral = StrictBooleanFilter(help_text="`true` for exercises done one side at a time.")
    muscle = django_filters.ModelChoiceFilter(
        field_name="muscles",
        to_field_name="slug",
        queryset=Muscle.objects.all(),
        help_text="Slug of a muscle the exercise targets.",
    )
    equipment = django_filters.ModelChoiceFilter(
        field_name="equipment",
        to_field_name="slug",
        queryset=Equipment.objects.all(),
        help_text="Slug of equipment the exercise uses.",
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text="Text to find in the name or any alias, ignoring case.",
    )
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only exercises changed at or after this ISO 8601 time.",
    )
    ordering = StableOrderingFilter(
        fields=["name", "difficulty", "created_at", "updated_at"],
        help_text="Sort key; prefix with `-` for descending. Default: `name`.",
    )

    class Meta:
        model = Exercise
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Exercise], name: str, value: str) -> Any:
        text = value.strip()
        if not text:
            return queryset
        # EXISTS rather than a join, so an exercise with two matching aliases is listed once.
        alias_matches = ExerciseAlias.objects.filter(exercise=OuterRef("pk"), name__icontains=text)
        return queryset.filter(Q(name__icontains=text) | Exists(alias_matches))


class RoutineFilter(FilterSet):
    scope = django_filters.ChoiceFilter(
        choices=[("curated", "curated"), ("mine", "mine")],
        method="filter_scope",
        help_text="`curated` for trainers' routines, `mine` for the caller's own.",
    )

    class Meta:
        model = Routine
        fields: list[str] = []

    def filter_scope(self, queryset: QuerySet[Routine], name: str, value: str) -> Any:
        if value == "curated":
            return queryset.filter(owner__isnull=True)
        return queryset.filter(owner__isnull=False)
