import hashlib
import logging
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from hipflex_api.errors import LimitsUnavailable
from hipflex_api.ops.logs import Rarely

from .models import User

logger = logging.getLogger(__name__)
_unreachable = Rarely(logger)


@contextmanager
def _counting(scope: str) -> Iterator[None]:
    """The counters store failing, as the 503 that refuses the request: fail closed."""
    try:
        yield
    except RedisError as exc:  # redis-py's, socket errors and timeouts included.
        _unreachable.warning(
            "The counters store is unreachable (%s: %s); refusing what it counts (%s)",
            type(exc).__name__,
            exc,
            scope,
        )
        raise LimitsUnavailable from exc


class Counted(SimpleRateThrottle):
    """Counts kept in the counters store (settings.COUNTERS_CACHE), apart from cached answers,
    so that a flood of cacheable requests cannot push them out and reset a limit. While that
    store is down every request it counts is a 503 (LimitsUnavailable), never let through."""

    def __init__(self) -> None:
        self.cache: BaseCache = caches[settings.COUNTERS_CACHE]
        super().__init__()

    def allow_request(self, request: Request, view: Any) -> bool:
        with _counting(self.scope or type(self).__name__):
            return super().allow_request(request, view)


class LoginIPThrottle(Counted):
    """Login attempts from one address, whichever accounts they try."""

    scope = "login_ip"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class EmailThrottle(Counted):
    """Requests naming one email address (in the body's `email_field`), from anywhere."""

    email_field = "email"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        # The API's JSON body, or a form of the admin's (a plain Django request).
        data = request.data if isinstance(request, Request) else request.POST
        email = data.get(self.email_field) if hasattr(data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None  # Nothing to count against; the serializer refuses the request.
        # A digest: no address in the counters store, and no character a cache key cannot
        # hold (a body may send NUL or a lone surrogate).
        text = email.strip().casefold().encode("utf-8", "surrogatepass")
        return self.cache_format % {"scope": self.scope, "ident": hashlib.sha256(text).hexdigest()}


class FailuresOnly(Counted):
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
        with _counting(self.scope or type(self).__name__):
            history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
            self.cache.set(self.key, [self.now, *history], self.duration)


class PerClient:
    """A throttle's count kept per client address as well as per its own ident."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = super().get_cache_key(request, view)  # type: ignore[misc]
        return f"{key}:{self.get_ident(request)}" if key else None  # type: ignore[attr-defined]


def _could_be_an_address(name: str) -> bool:
    """Whether the database can even be asked for `name`: PostgreSQL takes no NUL and no
    lone surrogate (a JSON body can hold both), and no address is longer than the column."""
    if "\x00" in name or len(name) > User._meta.get_field("email").max_length:  # type: ignore[operator]
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class LoginAccountThrottle(FailuresOnly, EmailThrottle):
    """Failed logins on one account from all addresses together: loose, so that its owner on
    their own device still gets in while someone elsewhere guesses (that one meets
    LoginAccountClientThrottle first); a guesser spread over many addresses still meets it."""

    scope = "login_account"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = super().get_cache_key(request, view)
        if key is None:
            return None
        # Counted against the account the name signs in to, found as signing in finds it
        # (NFKC, as the admin's form reads it, then case-insensitively): every spelling that
        # reaches it (full-width letters, another case) shares one count.
        data = request.data if isinstance(request, Request) else request.POST
        name = unicodedata.normalize("NFKC", str(data.get(self.email_field))).strip()
        if not _could_be_an_address(name):
            return key  # No account has it; the form or serializer refuses it next.
        account = User._default_manager.filter(email__iexact=name).values_list("pk", flat=True)
        if (pk := account.first()) is None:
            return key
        return self.cache_format % {"scope": self.scope, "ident": f"account-{pk}"}


class LoginAccountClientThrottle(PerClient, LoginAccountThrottle):
    """Failed logins on one account from one client address: tight, so that a script
    guessing passwords is stopped after a few, there and only there."""

    scope = "login_account_client"


class AdminLoginAccountThrottle(LoginAccountThrottle):
    """Wrong passwords at the admin's sign-in on one account, from all addresses (its form
    names the account `username`): apart from the API's, with their own rates."""

    scope = "admin_login_account"
    email_field = "username"


class AdminLoginAccountClientThrottle(PerClient, AdminLoginAccountThrottle):
    scope = "admin_login_account_client"


class SignInAccountThrottle(LoginAccountThrottle):
    """Wrong passwords at the sign-in of the page where a person connects an app: counted
    with the API's logins, since it is the same password (its form names it `username`)."""

    email_field = "username"


class SignInAccountClientThrottle(PerClient, SignInAccountThrottle):
    scope = "login_account_client"


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


class EmailChangeThrottle(Counted, UserRateThrottle):
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


class UserFailures(FailuresOnly):
    """Failures counted per signed-in user."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user_id = getattr(request.user, "pk", None)
        if user_id is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user_id}


class PasswordCheckThrottle(UserFailures):
    """Wrong passwords sent by a signed-in caller (changing the password or the address,
    deleting the account), counted per user apart from failed logins: a stolen access token
    must not become a way to guess the password without limit, nor to lock its owner's logins
    out. Loose across addresses, as LoginAccountThrottle."""

    scope = "password_check"


class PasswordCheckClientThrottle(PerClient, PasswordCheckThrottle):
    """The same, from one client address: tight."""

    scope = "password_check_client"


class InvitationCodeThrottle(UserFailures):
    """Invitation codes a signed-in person redeemed that were not valid, per account."""

    scope = "invitation_code"


class InvitationCodeIPThrottle(FailuresOnly, LoginIPThrottle):
    """The same from one client address, whichever accounts try: new accounts are no way
    round the limit."""

    scope = "invitation_code_ip"


def record_failures(request: Request, view: Any, *throttles: type[FailuresOnly]) -> None:
    for throttle in throttles:
        throttle().record_failure(request, view)


# Failed logins and failed password checks are counted by these, tight per client address
# first, then loose per account or user.
LOGIN_FAILURES = (LoginAccountClientThrottle, LoginAccountThrottle)
PASSWORD_CHECK_FAILURES = (PasswordCheckClientThrottle, PasswordCheckThrottle)
ADMIN_LOGIN_FAILURES = (AdminLoginAccountClientThrottle, AdminLoginAccountThrottle)
SIGN_IN_FAILURES = (SignInAccountClientThrottle, SignInAccountThrottle)
INVITATION_CODE_FAILURES = (InvitationCodeThrottle, InvitationCodeIPThrottle)
