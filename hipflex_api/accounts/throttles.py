from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class LoginIPThrottle(SimpleRateThrottle):
    """Login attempts from one address, whichever accounts they try."""

    scope = "login_ip"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginAccountThrottle(SimpleRateThrottle):
    """Login attempts on one account, from whichever addresses they come."""

    scope = "login_account"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None  # Nothing to count against; the serializer refuses the request.
        return self.cache_format % {"scope": self.scope, "ident": email.strip().casefold()}


class RegisterThrottle(LoginIPThrottle):
    scope = "register"
