from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

# The permission that lets an account coach.
COACH_PERMISSION = "accounts.coach"


class Coaches(permissions.BasePermission):
    """Trainers who may coach (the Trainers group holds accounts.coach): everyone else is
    refused, a 403 saying so. Read with the user row where the sign-in read it (`can_coach`,
    accounts.auth), else asked of the auth backends."""

    message = "Only trainers may coach clients."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user:
            return False
        can_coach = getattr(user, "can_coach", None)
        if can_coach is None:
            can_coach = user.has_perm(COACH_PERMISSION)
        return bool(can_coach)
