"""Every request gets an id, echoed in X-Request-ID, and one log line once it is answered."""

import logging
import re
import time
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sentry_sdk
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils.functional import LazyObject, empty

from .logs import current_request_id

logger = logging.getLogger("hipflex_api.requests")

HEADER = "X-Request-ID"
MAX_LENGTH = 200
_PRINTABLE = re.compile(r"[\x20-\x7e]+")
_PARAMETER = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")
# Probes and scrapes come every few seconds; at INFO their lines would drown the others.
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def valid_request_id(value: str | None) -> str | None:
    """The id a client or proxy sent, if usable: 1 to 200 printable ASCII characters, not all
    of them spaces. Anything else could break a log line or a header, so it gets a new one."""
    if value and len(value) <= MAX_LENGTH and _PRINTABLE.fullmatch(value) and value.strip():
        return value
    return None


def resolved(request: HttpRequest) -> ResolverMatch | None:
    """The URL pattern that serves the request, resolved at most once more: an answer given
    before Django resolves the URL (a cached catalog page, a redirect) is resolved here."""
    if request.resolver_match is None:
        try:
            request.resolver_match = resolve(request.path_info)
        except Resolver404:
            return None
    return request.resolver_match


@lru_cache(maxsize=1024)
def route_template(route: str) -> str:
    """`api/v1/exercises/(?P<slug>[-a-z]+)/$` as `/api/v1/exercises/{slug}/`, as in the schema."""
    template = _PARAMETER.sub(lambda m: "{" + (m[1] or m[2]) + "}", route)
    return "/" + template.replace("^", "").replace("$", "")


def _user_id(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    if user is None:
        return None
    # The session's lazy user, which nothing looked at: reading it now would cost queries.
    if isinstance(user, LazyObject) and user._wrapped is empty:  # type: ignore[attr-defined]
        return None
    return user.pk if user.is_authenticated else None


def _log(request: HttpRequest, response: HttpResponse, duration_ms: float) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    match = resolved(request)
    route = route_template(match.route) if match is not None else None
    logger.log(
        logging.DEBUG if route in _QUIET_ROUTES else logging.INFO,
        "%s %s %s %.1f ms",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        extra={
            "request_id": current_request_id.get(),
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": _user_id(request),
        },
    )


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every answer carries the id, an error page or a cached
    catalog page included; hipflex_api.errors quotes it in the body of a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = valid_request_id(request.META.get("HTTP_X_REQUEST_ID")) or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # Until the request finishes (hipflex_api.ops.signals forgets it then), not only until
        # this returns: Django logs a 4xx once the whole middleware chain has answered.
        current_request_id.set(request_id)
        if settings.SENTRY_DSN:  # An error report names the id the request's log lines carry.
            sentry_sdk.set_tag("request_id", request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        _log(request, response, round((time.perf_counter() - started) * 1000, 1))
        return response
