"""The public catalog's answers, cached and answered before DRF starts.

CatalogCacheMixin gives the catalog viewsets' list and retrieve an ETag, 304s and a shared
cache of rendered bodies, filed under the catalog's change number. CatalogCacheMiddleware
answers an anonymous GET of those same actions from that cache before CSRF, sessions,
authentication or DRF run. It finds them by resolving the URL, so the routes it serves are
the router's, whatever they are.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response

from hipflex_api.changes.counters import catalog_version
from hipflex_api.conditional import cached_answer, conditional_get
from hipflex_api.ops.middleware import resolved

from .models import sees_drafts


def _public_version(request: HttpRequest) -> str:
    # Read once a request: the middleware's miss hands it on to the view.
    if not hasattr(request, "public_catalog_version"):
        request.public_catalog_version = f"catalog:{catalog_version()}:drafts=0"  # type: ignore[attr-defined]
    return str(request.public_catalog_version)  # type: ignore[attr-defined]


class CatalogCacheMixin:
    """list and retrieve with ETag, If-None-Match and a shared cache of rendered bodies;
    anonymous reads of a cached answer never reach the view (CatalogCacheMiddleware)."""

    conditional_actions = frozenset({"list", "retrieve"})

    def _conditional(self, request: Request, render: Callable[[], Response]) -> Any:
        if sees_drafts(request.user, "exercises.view_exercise"):
            version = f"catalog:{catalog_version()}:drafts=1"
        else:
            version = _public_version(request._request)
        return conditional_get(request, version=version, render=render)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        parent = super()
        return self._conditional(request, lambda: parent.list(request, *args, **kwargs))  # type: ignore[attr-defined]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        parent = super()
        return self._conditional(request, lambda: parent.retrieve(request, *args, **kwargs))  # type: ignore[attr-defined]


def _serves_cached(request: HttpRequest) -> bool:
    """Whether the URL routes to a CatalogCacheMixin action, which caches what it answers."""
    # Resolved once: the request's log line and metrics read the same match (hipflex_api.ops).
    if (match := resolved(request)) is None:
        return False
    view = match.func
    viewset = getattr(view, "cls", None)
    action = getattr(view, "actions", {}).get("get")
    return (
        isinstance(viewset, type)
        and issubclass(viewset, CatalogCacheMixin)
        and action in viewset.conditional_actions
    )


class CatalogCacheMiddleware:
    """Answers an anonymous catalog GET from the cache, or with a 304, before DRF starts.

    Only what the catalog views would answer the same way: anonymous callers (so no drafts),
    and only once the views have rendered and cached that exact answer. Everything else, and
    every miss, goes on to the views, which fill the cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method == "GET"
            and "HTTP_AUTHORIZATION" not in request.META
            and _serves_cached(request)
            and (answer := cached_answer(request, _public_version(request))) is not None
        ):
            return answer
        return self.get_response(request)
