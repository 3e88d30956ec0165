"""What services raise when a rule of the domain refuses an operation.

Services know nothing of HTTP: they raise one of these kinds, or a subclass that names the
rule, and hipflex_api.errors maps each kind to a status and the API's error shape.
"""


class DomainError(Exception):
    """A refusal with a message a client can show; `field` names the input at fault."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The input breaks a rule that only the data can tell (a 400)."""


class ConflictError(DomainError):
    """The operation clashes with data already stored (a 409)."""

    code = "conflict"


class OverLimit(DomainError):
    """The operation would make more than a limit allows, whatever the request's own shape
    (a routine whose start would plan more sets than a session may hold): a 422 naming it."""

    code = "unprocessable"


class QuotaExceeded(DomainError):
    """The account has written as much as a limit allows for now (sessions in a day, routine
    starts in an hour): a 429 naming the limit, with the seconds until one more fits."""

    code = "quota_exceeded"

    def __init__(self, message: str, *, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


class StoreUnavailable(DomainError):
    """The store of files the operation needs (the media store) did not answer; nothing of
    the operation was kept: a 503 with `wait` seconds as Retry-After."""

    code = "storage_unavailable"
    wait = 5


class StoreFull(DomainError):
    """The store of files the operation writes to is full; nothing of the operation was kept
    (a 507)."""

    code = "storage_full"


class GoneError(DomainError):
    """What the operation names was deleted (a 410)."""

    code = "gone"


class AccountDeleted(DomainError):
    """The account was deleted while this request was writing to it (a 401)."""

    code = "user_not_found"

    def __init__(self, message: str = "The account was deleted while this request ran.") -> None:
        super().__init__(message)
