from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class LoginIPThrottle(SimpleRateThrottle):
    """Login attempts from one address, whichever accounts they try."""

    scope = "login_ip"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class EmailThrottle(SimpleRateThrottle):
    """Requests naming one email address (in the body's `email_field`), from anywhere."""

    email_field = "email"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data
        email = data.get(self.email_field) if hasattr(data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None  # Nothing to count against; the serializer refuses the request.
        return self.cache_format % {"scope": self.scope, "ident": email.strip().casefold()}


class LoginAccountThrottle(EmailThrottle):
    """Failed logins on one account, from whichever addresses they come.

    Only failures count (the view records them), so the owner logging in on a few devices
    never locks themselves out; a script guessing passwords is stopped after a few.
    """

    scope = "login_account"
    duration: int  # Set by SimpleRateThrottle from the rate; the type stubs leave it out.

    def throttle_success(self) -> bool:
        return True  # Checked here, recorded by record_failure() when the password was wrong.

    def record_failure(self, request: Request, view: Any) -> None:
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return
        self.now = self.timer()
        history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        self.cache.set(self.key, [self.now, *history], self.duration)


class RegisterThrottle(LoginIPThrottle):
    scope = "register"


class MailIPThrottle(LoginIPThrottle):
    """Requests that mail someone (a reset, a confirmation link), from one client address."""

    scope = "mail_ip"


class MailAddressThrottle(EmailThrottle):
    """Requests that mail one address, whether or not it has an account, so that no one can
    fill a person's inbox and the answer tells nothing about who has an account."""

    scope = "mail_address"


class NewAddressThrottle(MailAddressThrottle):
    """A change of address mails the new one: it counts against that address."""

    email_field = "new_email"


class TokenIPThrottle(LoginIPThrottle):
    """Mailed tokens presented back, from one client address."""

    scope = "token_ip"


class PasswordGuessThrottle(LoginAccountThrottle):
    """Wrong passwords sent by a signed-in caller (changing the password or the address,
    deleting the account) count against the same account as failed logins: a stolen access
    token must not become a way to guess the password without limit."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        email = getattr(request.user, "email", None)
        if not email:
            return None
        return self.cache_format % {"scope": self.scope, "ident": email.strip().casefold()}
