from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from .models import Routine


class RoutinePermission(permissions.BasePermission):
    """Anyone reads what they can see; a signed-in user writes their own routines; a curated
    routine is written only by trainers holding the model permission."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Routine) -> bool:
        # Copy and start declare their own permission (any signed-in user), so they never
        # reach this check.
        if request.method in permissions.SAFE_METHODS:
            return True
        if obj.owner_id is not None:
            return obj.owner_id == request.user.pk
        action = {"DELETE": "delete"}.get(request.method or "", "change")
        return request.user.has_perm(f"exercises.{action}_routine")


class EditsExercises(permissions.BasePermission):
    """Trainers, who may change exercises: their media are part of them. Anyone may ask what
    the operation takes (OPTIONS)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.has_perm("exercises.change_exercise"))
