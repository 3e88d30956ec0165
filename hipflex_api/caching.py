"""Conditional GETs and cached bodies for what is read far more often than it changes.

Every catalog write takes the catalog's next change number, and every write to a user's logs
takes that user's (hipflex_api.changes), so those numbers name versions of the data: an ETag
made from them changes exactly when the data does, and a body cached under them can never be
served stale, whichever process or cache holds it. Reading a number costs one indexed query.
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

from hipflex_api.changes import catalog_scope, user_scope
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


def user_version(user_id: int) -> int:
    counters = ChangeCounter.objects.filter(scope=user_scope(user_id))
    return next(iter(counters.values_list("value", flat=True)), 0)


def conditional_get(
    request: Request, *, version: str, render: Callable[[], Response]
) -> Response | HttpResponse:
    """Answer 304 when the client's copy is current, else the body, from the cache if it can.

    `version` names the data the answer is made from (the catalog's change number, a user's,
    and whose answer it is): the same version and URL always give the same body.
    """
    # The absolute URL, because pages link to their neighbours by it.
    name = f"{version}|{request.build_absolute_uri()}"
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    etag = f'"{digest}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
    if etag_matches(request, etag):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    key = f"answer:{digest}"
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

    conditional_actions = frozenset({"list", "retrieve"})

    def _conditional(self, request: Request, render: Callable[[], Response]) -> Any:
        from exercises.models import sees_drafts

        drafts = sees_drafts(request.user, "exercises.view_exercise")
        version = f"catalog:{catalog_version()}:drafts={int(drafts)}"
        return conditional_get(request, version=version, render=render)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        parent = super()
        return self._conditional(request, lambda: parent.list(request, *args, **kwargs))  # type: ignore[attr-defined]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        parent = super()
        return self._conditional(request, lambda: parent.retrieve(request, *args, **kwargs))  # type: ignore[attr-defined]
