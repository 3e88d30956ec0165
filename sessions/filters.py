from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, QuerySet

from exercises.models import Exercise
from hipflex_api.filters import FilterSet, UtcIsoDateTimeFilter

from .models import SetLog, WorkoutSession


class WorkoutSessionFilter(FilterSet):
    started_after = UtcIsoDateTimeFilter(
        field_name="started_at", lookup_expr="gte", help_text="Started at or after this time."
    )
    started_before = UtcIsoDateTimeFilter(
        field_name="started_at", lookup_expr="lt", help_text="Started before this time."
    )
    exercise = django_filters.ModelChoiceFilter(
        # Published ones only, so the filter cannot tell anyone whether a draft exists.
        queryset=Exercise.objects.filter(published=True),
        to_field_name="slug",
        method="filter_exercise",
        help_text="Only sessions with a set of this exercise (slug).",
    )

    class Meta:
        model = WorkoutSession
        fields: list[str] = []

    def filter_exercise(
        self, queryset: QuerySet[WorkoutSession], name: str, value: Exercise
    ) -> Any:
        # EXISTS, not a join, so a session with five sets of the exercise is listed once.
        return queryset.filter(
            Exists(SetLog.objects.filter(session=OuterRef("pk"), exercise=value))
        )
