from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import SET_FIELDS, SetLog, WorkoutSession


class SuperuserReadOnly:
    """Users' logs are private: only superusers may look, to answer support questions, and
    nobody edits them here. Trainers, whatever their group, do not see them at all."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_SET_COLUMNS = ("position", *SET_FIELDS)


class SetLogInline(SuperuserReadOnly, admin.TabularInline):
    model = SetLog
    fields = readonly_fields = _SET_COLUMNS
    extra = 0


@admin.register(WorkoutSession)
class WorkoutSessionAdmin(SuperuserReadOnly, admin.ModelAdmin):
    list_display = ["id", "user", "started_at", "ended_at", "perceived_effort", "deleted_at"]
    list_filter = ["started_at", "deleted_at"]
    list_select_related = ["user"]
    search_fields = ["id", "user__email"]
    date_hierarchy = "started_at"
    inlines = [SetLogInline]
    fields = [
        "id",
        "user",
        ("started_at", "ended_at"),
        "perceived_effort",
        "notes",
        ("routine", "routine_name"),
        ("version", "change_seq"),
        ("created_at", "updated_at", "deleted_at"),
    ]
    readonly_fields = [
        "id",
        "user",
        "started_at",
        "ended_at",
        "perceived_effort",
        "notes",
        "routine",
        "routine_name",
        "version",
        "change_seq",
        "created_at",
        "updated_at",
        "deleted_at",
    ]
