from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


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


class FailuresOnly(SimpleRateThrottle):
    """Checked like any throttle, but only failures count (the view records them), so that
    the rightful owner succeeding a few times never locks themselves out."""

    duration: int  # Set by SimpleRateThrottle from the rate; the type stubs leave it out.

    def throttle_success(self) -> bool:
        return True

    def record_failure(self, request: Request, view: Any) -> None:
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return
        self.now = self.timer()
        history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        self.cache.set(self.key, [self.now, *history], self.duration)


class LoginAccountThrottle(FailuresOnly, EmailThrottle):
    """Failed logins on one account, from whichever addresses they come: a script guessing
    passwords is stopped after a few."""

    scope = "login_account"


class RegisterThrottle(LoginIPThrottle):
    scope = "register"


class MailIPThrottle(LoginIPThrottle):
    """Requests that mail someone (a reset, a confirmation link), from one client address."""

    scope = "mail_ip"


class TokenIPThrottle(FailuresOnly, LoginIPThrottle):
    """Mailed tokens presented back that were not valid, from one client address: guessing is
    hopeless anyway (256 bits), and a phone behind a carrier's shared address is not stopped
    for others' successes."""

    scope = "token_ip"


class EmailChangeThrottle(UserRateThrottle):
    """Changes of address one account asks for: each mails two addresses."""

    scope = "email_change"


class MailQuota(EmailThrottle):
    """How much mail of one kind (the scope) one address gets, counted per client address
    asking (`<scope>_client`) and in all (`<scope>`), whether or not it has an account.

    Not a refusal: past a quota the answer is the same 202 and no mail goes, so a 429 tells
    nothing about who has an account. A stranger asking from one client address uses up only
    that client's share; the person asking from their own phone still gets their mail, until
    the address's whole share is gone.
    """

    def __init__(self, scope: str, email_field: str = "email", *, per_client: bool = False):
        self.scope, self.email_field, self.per_client = scope, email_field, per_client
        super().__init__()

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = super().get_cache_key(request, view)
        return f"{key}:{self.get_ident(request)}" if key and self.per_client else key

    @classmethod
    def allows(cls, request: Request, view: Any, scope: str, email_field: str = "email") -> bool:
        """Both shares, the client's first, so that a client past its own takes no more of
        the address's."""
        client = cls(f"{scope}_client", email_field, per_client=True)
        return client.allow_request(request, view) and cls(scope, email_field).allow_request(
            request, view
        )


class PasswordGuessThrottle(LoginAccountThrottle):
    """Wrong passwords sent by a signed-in caller (changing the password or the address,
    deleting the account) count against the same account as failed logins: a stolen access
    token must not become a way to guess the password without limit."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        email = getattr(request.user, "email", None)
        if not email:
            return None
        return self.cache_format % {"scope": self.scope, "ident": email.strip().casefold()}
