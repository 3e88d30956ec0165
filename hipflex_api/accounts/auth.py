from typing import cast

from rest_framework.request import Request

from .models import User


def request_user(request: Request) -> User:
    """The signed-in caller, for views whose permissions already refused anonymous ones."""
    return cast(User, request.user)
