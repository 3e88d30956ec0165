"""One error shape for the whole API, whichever layer raised the error."""

import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost, SuspiciousOperation, TooManyFieldsSent
from django.db import IntegrityError, InterfaceError, InternalError, OperationalError, connections
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.log import log_response
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from hipflex_api.domain_errors import (
    AccountDeleted,
    ConflictError,
    DomainError,
    GoneError,
    OverLimit,
    QuotaExceeded,
    StoreFull,
    StoreUnavailable,
)

logger = logging.getLogger(__name__)


def error_body(
    *, status_code: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or []}


def field_errors(details: Any, path: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """Turn DRF's nested error details (get_full_details()) into a flat list with dotted field
    paths: the `errors` of the API's error shape."""
    if isinstance(details, dict):
        if set(details) == {"message", "code"}:
            yield {
                "field": ".".join(path) or None,
                "code": details["code"],
                "message": details["message"],
            }
            return
        for key, value in details.items():
            if key == "non_field_errors":
                yield from field_errors(value, path)
            else:
                yield from field_errors(value, (*path, str(key)))
    elif isinstance(details, list):
        leaf = all(isinstance(item, dict) and set(item) == {"message", "code"} for item in details)
        for index, item in enumerate(details):
            yield from field_errors(item, path if leaf else (*path, str(index)))


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with data saved at the same moment; retry it."
    default_code = "conflict"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This was deleted."
    default_code = "gone"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "If-Match does not match the current ETag: fetch, merge and retry."
    default_code = "precondition_failed"


class UnprocessableContent(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed."
    default_code = "unprocessable"


class DatabaseBusy(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "The database is too busy to answer this request now (other writes hold what it "
        "needs, or it took longer than the server allows); nothing was saved. Retry after the "
        "seconds in Retry-After."
    )
    default_code = "database_busy"
    # Sent as Retry-After (by DRF's handler): a write holds the lock for milliseconds, so a
    # second later it is free unless something holds it for long.
    wait = 1


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "The database could not be reached, so the request was not completed. Send it again "
        "after the seconds in Retry-After: a session sent again with the same id or "
        "Idempotency-Key is stored once."
    )
    default_code = "database_unavailable"
    # A restart takes seconds; a failover, tens of them: the client backs off from here.
    wait = 2


# PostgreSQL's SQLSTATEs that say the server, not the request, failed: a connection exception
# (08), insufficient resources (53: too many connections, a full disk), a shutdown or a
# terminated backend (57P), and a standby that a failover left the writes on (25006). Not a
# cancelled statement (57014): that is the database being busy (below).
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P", "25006")
# And those that say this request met too much at once: a statement cancelled by the
# statement timeout (57014), a lock not granted (55P03), a deadlock or a serialization failure
# that rolled its transaction back (40P01, 40001). A retry a moment later may well succeed.
_BUSY_SQLSTATES = {"57014", "55P03", "40P01", "40001"}
_STATEMENT_TIMEOUT = "57014"
_STATEMENT_TIMEOUT_WAIT = 5


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def _busy(exc: BaseException) -> "DatabaseBusy":
    busy = DatabaseBusy()
    if _sqlstate(exc) == _STATEMENT_TIMEOUT:
        # It ran for DATABASE_STATEMENT_TIMEOUT_SECONDS: not again at once.
        busy.wait = _STATEMENT_TIMEOUT_WAIT
    return busy


class StorageUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The media store did not answer; nothing was kept. Retry after Retry-After."
    default_code = "storage_unavailable"
    wait = 5  # Sent as Retry-After (by DRF's handler); the domain error's own replaces it.


class StorageFull(exceptions.APIException):
    status_code = status.HTTP_507_INSUFFICIENT_STORAGE
    default_detail = "The media store is full; nothing was kept."
    default_code = "storage_full"


class LimitsUnavailable(exceptions.APIException):
    """The store of throttle counts (settings.COUNTERS_CACHE) did not answer. A request that
    must be counted (a login, a reset, anything that guesses or mails) is refused rather than
    let through uncounted: an outage must not open the door to unlimited guessing."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "The store that counts attempts is unreachable, so this request, which must be counted, "
        "was refused and nothing was done. Retry after the seconds in Retry-After."
    )
    default_code = "limits_unavailable"
    wait = 5  # Sent as Retry-After (by DRF's handler).


def _is_unique_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc)


def _is_database_busy(exc: BaseException | None) -> bool:
    """SQLite's answer when its one write lock stayed taken for SQLITE_BUSY_TIMEOUT_SECONDS;
    PostgreSQL's when a statement ran past DATABASE_STATEMENT_TIMEOUT_SECONDS or lost a race
    for a lock (one of the SQLSTATEs above)."""
    if not isinstance(exc, OperationalError):
        return False
    if _sqlstate(exc) in _BUSY_SQLSTATES:
        return True
    return str(exc).startswith(("database is locked", "database table is locked"))


def _is_database_unavailable(exc: BaseException | None) -> bool:
    """A database that dropped the connection, refused one, or is not the primary any more:
    one of the SQLSTATEs above, or psycopg's error without one (raised by the client) on a
    connection that no longer works. SQLite's errors, and PostgreSQL's refusals of the
    request itself, are not."""
    if not isinstance(exc, (OperationalError, InterfaceError, InternalError)):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", False)  # psycopg's errors carry one.
    if sqlstate is False:  # Not psycopg's: SQLite's, or Django's own.
        return isinstance(exc, InterfaceError)  # A connection already closed.
    if sqlstate is None:  # The client's own error: a lost server, or a bad request.
        return not _connection_works()
    return str(sqlstate).startswith(_UNAVAILABLE_SQLSTATES)


def _connection_works() -> bool:
    connection = connections["default"]
    return connection.connection is not None and connection.is_usable()


def _server_error_body(request: HttpRequest) -> dict[str, Any]:
    """The one error shape, plus the request's id (hipflex_api.ops.middleware), which the
    failure's log lines and error report carry: quoting it finds them."""
    return {
        **error_body(
            status_code=500,
            code="server_error",
            detail="The server failed to answer this request; the failure has been logged.",
        ),
        "request_id": getattr(request, "request_id", None),
    }


def _server_error(exc: Exception, context: dict[str, Any]) -> Response:
    """Log a failure the way Django would and answer in JSON, in development too, where
    Django's own answer would be an HTML debug page."""
    request = context["request"]._request
    logging.getLogger("django.request").error(
        "Internal Server Error: %s",
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": 500, "request": request},
    )
    # Error reporters (and the test client) listen for this signal.
    signals.got_request_exception.send(sender=None, request=request)
    set_rollback()
    return Response(_server_error_body(request), status=500)


def _from_domain(exc: DomainError, context: dict[str, Any]) -> exceptions.APIException:
    """The one place that gives a domain error its HTTP status: InvalidInput, and any kind
    without a status of its own, is a 400 naming its field."""
    if isinstance(exc, ConflictError):
        return Conflict(exc.message, code=exc.code)
    if isinstance(exc, GoneError):
        return Gone(exc.message, code=exc.code)
    if isinstance(exc, OverLimit):
        return UnprocessableContent(exc.message, code=exc.code)
    if isinstance(exc, QuotaExceeded):
        # DRF's handler sends the wait as Retry-After.
        return exceptions.Throttled(wait=exc.wait, detail=exc.message, code=exc.code)
    if isinstance(exc, StoreUnavailable):
        unavailable = StorageUnavailable(exc.message, code=exc.code)
        unavailable.wait = exc.wait
        return unavailable
    if isinstance(exc, StoreFull):
        return StorageFull(exc.message, code=exc.code)
    if isinstance(exc, AccountDeleted):
        failed = exceptions.AuthenticationFailed(exc.message, code=exc.code)
        # As DRF's own handling adds to an AuthenticationFailed raised by the view.
        failed.auth_header = context["view"].get_authenticate_header(  # type: ignore[attr-defined]
            context["request"]
        )
        return failed
    return exceptions.ValidationError(
        {exc.field: [exc.message]} if exc.field else [exc.message], code=exc.code
    )


def _as_api_exception(exc: Exception, context: dict[str, Any]) -> Exception:
    """Domain and database refusals as the API exceptions DRF knows how to answer."""
    if isinstance(exc, DomainError):
        return _from_domain(exc, context)
    if isinstance(exc, IntegrityError) and _is_unique_violation(exc):
        # Validation passed but a unique constraint refused the write: two requests raced for
        # the same value. The atomic block has rolled back, so a retry is safe.
        logger.warning("Write refused by a unique constraint: %s", exc)
        return Conflict()
    if _is_database_busy(exc):
        # The failed statement's transaction has rolled back: nothing is half-saved, and a
        # retry is safe.
        logger.warning("The database was too busy for a request: %s", exc)
        return _busy(exc)
    if _is_database_unavailable(exc):
        # Its transaction rolled back, or went with the connection, which Django replaces
        # before the next request: nothing is half-saved, and a retry is safe.
        logger.warning("The database failed under a request: %s", exc)
        return DatabaseUnavailable()
    if isinstance(exc, ProtectedError):
        # Deleting what logs or routines still point at: say what holds it.
        holders = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        return Conflict(f"Still used by {', '.join(holders)}; unpublish it instead of deleting it.")
    return exc


def _validation_body(exc: exceptions.ValidationError, status_code: int) -> dict[str, Any]:
    errors = list(field_errors(exc.get_full_details()))
    fields = sorted({e["field"] for e in errors if e["field"]})
    if not errors:
        detail = "Invalid input."
    elif fields:
        detail = f"Invalid input in {', '.join(fields)}."
    else:
        detail = errors[0]["message"]
    return error_body(status_code=status_code, code="invalid", detail=detail, errors=errors)


def _code_and_detail(exc: Exception, response: Response) -> tuple[str, str]:
    if isinstance(exc, exceptions.APIException) and isinstance(exc.detail, dict):
        # simplejwt packs its reason into a dict: {"detail": ..., "code": ..., "messages": ...}.
        return str(exc.detail.get("code", exc.default_code)), str(
            exc.detail.get("detail", exc.default_detail)
        )
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes()
        return (code if isinstance(code, str) else "error"), str(exc.detail)
    # Http404 and PermissionDenied, which DRF has already mapped to a status.
    not_found = response.status_code == status.HTTP_404_NOT_FOUND
    return ("not_found" if not_found else "permission_denied"), str(response.data.get("detail", ""))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _as_api_exception(exc, context)
    response = drf_exception_handler(exc, context)
    if response is None:
        return _server_error(exc, context)
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc, response.status_code)
        return response
    code, detail = _code_and_detail(exc, response)
    response.data = error_body(status_code=response.status_code, code=code, detail=detail)
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


@csrf_exempt  # The API authenticates with tokens, never cookies: there is nothing to forge.
def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Answers any URL under /api/ that no route matches, so clients never get an HTML page."""
    detail = f"No endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            detail += f" Did you mean {request.path}/? Every endpoint ends with a slash."
    return JsonResponse(error_body(status_code=404, code="not_found", detail=detail), status=404)


def handler404(request: HttpRequest, exception: Exception) -> Any:
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def _bad_request(exception: Exception) -> JsonResponse:
    if isinstance(exception, DisallowedHost):
        detail = "The Host header names no host this server answers for."
    elif isinstance(exception, TooManyFieldsSent):
        detail = f"More than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} query parameters."
    else:
        detail = "The request is malformed."
    return JsonResponse(error_body(status_code=400, code="bad_request", detail=detail), status=400)


def handler400(request: HttpRequest, exception: Exception) -> Any:
    if _is_api(request):
        return _bad_request(exception)
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception) -> Any:
    if _is_api(request):
        return JsonResponse(
            error_body(status_code=403, code="permission_denied", detail="Forbidden."),
            status=403,
        )
    return defaults.permission_denied(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> Any:
    if _is_api(request):
        return JsonResponse(
            error_body(status_code=403, code="permission_denied", detail="CSRF check failed."),
            status=403,
        )
    return csrf.csrf_failure(request, reason)


def handler500(request: HttpRequest) -> Any:
    failed = sys.exception()  # Django calls this while handling the exception.
    if _is_api(request) and (_is_database_busy(failed) or _is_database_unavailable(failed)):
        # Raised outside a DRF view (whose handler answers it itself), by a middleware.
        busy = _busy(failed) if failed and _is_database_busy(failed) else DatabaseUnavailable()
        body = error_body(status_code=503, code=busy.default_code, detail=str(busy.detail))
        return JsonResponse(body, status=503, headers={"Retry-After": str(busy.wait)})
    if _is_api(request):
        return JsonResponse(_server_error_body(request), status=500)
    return defaults.server_error(request)


class MalformedRequestMiddleware:
    """Refuses an /api/ request whose Host header or query string Django refuses, before any
    other layer reads them. Django checks both only when they are first read: under a view
    its refusal would be a 500, and with DEBUG on Django answers with its debug page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_api(request):
            try:
                request.get_host()
                request.GET  # noqa: B018 (parsing it is the check)
            except SuspiciousOperation as exc:
                response = _bad_request(exc)
                # Logged as Django logs the refusals it answers itself.
                log_response(
                    str(exc),
                    request=request,
                    response=response,
                    exception=exc,
                    level="error",
                    logger=logging.getLogger(f"django.security.{type(exc).__name__}"),
                )
                return response
        return self.get_response(request)
