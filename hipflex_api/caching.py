"""Conditional GETs and cached bodies for the catalog, which is read far more than written.

Every catalog write takes the catalog's next change number (hipflex_api.changes), so that
number names a version of the whole catalog: an ETag made from it changes exactly when the
catalog does, and a body cached under it can never be served stale, whichever process or
cache holds it. Reading the number costs one indexed query.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpResponse
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from hipflex_api.changes import catalog_scope
from hipflex_api.changes.models import ChangeCounter

CACHE_SECONDS = 60 * 60


def catalog_version() -> int:
    value = ChangeCounter.objects.filter(scope=catalog_scope()).values_list("value", flat=True)
    return next(iter(value), 0)


def etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def conditional_catalog_get(
    request: Request, *, drafts: bool, render: Callable[[], Response]
) -> Response | HttpResponse:
    """Answer 304 when the client's copy is current, else the body, from the cache if it can."""
    version = catalog_version()
    name = f"{version}|{int(drafts)}|{request.get_full_path()}"
    digest = hashlib.sha256(name.encode()).hexdigest()[:24]
    etag = f'"c{version}-{digest}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Authorization"}
    if etag_matches(request, etag):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    key = f"catalog:{digest}"
    body = cache.get(key)
    if body is None:
        response = render()
        if response.status_code != status.HTTP_200_OK:
            return response  # Errors are answered fresh and never cached.
        body = JSONRenderer().render(response.data)
        cache.set(key, body, CACHE_SECONDS)
    answer = HttpResponse(body, content_type="application/json")
    for header, value in headers.items():
        answer[header] = value
    return answer


class ConditionalCatalogMixin:
    """list and retrieve with ETag, If-None-Match and a shared cache of rendered bodies."""

    def _conditional(self, request: Request, render: Callable[[], Response]) -> Any:
        from exercises.models import sees_drafts

        drafts = sees_drafts(request.user, "exercises.view_exercise")
        return conditional_catalog_get(request, drafts=drafts, render=render)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        parent = super()
        return self._conditional(request, lambda: parent.list(request, *args, **kwargs))  # type: ignore[attr-defined]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        parent = super()
        return self._conditional(request, lambda: parent.retrieve(request, *args, **kwargs))  # type: ignore[attr-defined]
