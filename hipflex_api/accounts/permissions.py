from typing import Any

from rest_framework import permissions
from rest_framework.request import Request


class Coaches(permissions.BasePermission):
    """Trainers who may coach (the Trainers group holds accounts.coach): everyone else is
    refused, a 403 saying so."""

    message = "Only trainers may coach clients."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("accounts.coach"))
