"""Conditional GETs and cached bodies for what is read far more often than it changes.

Every catalog write takes the catalog's next change number, and every write to a user's logs
takes that user's (hipflex_api.changes), so those numbers name versions of the data: an ETag
made from them changes exactly when the data does, and a body cached under them is never
older than the number it is filed under, whichever process or cache holds it. A signed-in
request reads both numbers with its user row (accounts.auth); the catalog's is also trusted
for CATALOG_VERSION_SECONDS.
"""

import functools
import hashlib
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from hipflex_api.changes import catalog_scope, user_scope
from hipflex_api.changes.models import ChangeCounter

CACHE_SECONDS = 60 * 60


def _counters(*scopes: str) -> list[int]:
    """The current change numbers of the scopes, in one query."""
    found = dict(ChangeCounter.objects.filter(scope__in=scopes).values_list("scope", "value"))
    return [found.get(scope, 0) for scope in scopes]


# The catalog version as this process last read it: (value, when). Catalog writes in this
# process forget it when they commit; other processes see them within CATALOG_VERSION_SECONDS.
_catalog_seen: tuple[int, float] | None = None


def catalog_version() -> int:
    global _catalog_seen
    now = time.monotonic()
    if _catalog_seen is not None and now - _catalog_seen[1] < settings.CATALOG_VERSION_SECONDS:
        return _catalog_seen[0]
    [value] = _counters(catalog_scope())
    _catalog_seen = (value, now)
    return value


def forget_catalog_version() -> None:
    global _catalog_seen
    _catalog_seen = None


def etag_matches(request: Request | HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    # Weak comparison, as RFC 9110 asks of If-None-Match. "*" is not honoured: it would
    # answer 304 for a page or slug that does not exist.
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in tags


@functools.cache
def _user_with_versions_sql() -> tuple[str, list[str], list[tuple[Any, list[Any]]]]:
    """The query, the attribute names of the user's fields it selects, and their converters
    (which, as for any ORM query, make SQLite's datetimes aware and its booleans booleans)."""
    # Every name comes from the models' metadata, quoted; the values are parameters.
    quote = connection.ops.quote_name
    users = get_user_model()._meta
    fields = users.concrete_fields
    counters = quote(ChangeCounter._meta.db_table)
    number = f"COALESCE((SELECT {quote('value')} FROM {counters} WHERE {quote('scope')} = %s), 0)"  # noqa: S608
    sql = (
        f"SELECT {', '.join(quote(field.column) for field in fields)}, {number}, {number}"  # noqa: S608
        f" FROM {quote(users.db_table)} WHERE {quote(users.pk.column)} = %s"
    )
    columns = [field.get_col(users.db_table) for field in fields]
    converters = [
        (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        for col in columns
    ]
    return sql, [field.attname for field in fields], converters


def user_with_versions(user_id: Any) -> Any:
    """The user, with the user's and the catalog's change numbers for user_version, or None.

    Hand-written SQL: building and compiling this query with the ORM took four times as long as
    the database took to answer it, on every authenticated request.
    """
    sql, attnames, converters = _user_with_versions_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_scope(user_id), catalog_scope(), user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    *values, user_changes, catalog_changes = row
    for index, (col, column_converters) in enumerate(converters):
        for convert in column_converters:
            values[index] = convert(values[index], col, connection)
    user = get_user_model().from_db(connection.alias, attnames, values)
    user.user_changes, user.catalog_changes = user_changes, catalog_changes  # type: ignore[attr-defined]
    return user


def user_version(user: Model) -> str:
    """The version of one user's logs and of the catalog their answers name.

    Read with the user row when the request authenticated (accounts.auth), else in one query.
    The numbers read with the row are those from the start of the request: for reads only,
    never after the request has written.
    """
    if hasattr(user, "user_changes"):
        return f"{user.user_changes}:{user.catalog_changes}"  # type: ignore[attr-defined]
    changes, catalog = _counters(user_scope(user.pk), catalog_scope())
    return f"{changes}:{catalog}"


def _answer(version: str, url: str) -> tuple[str, str, dict[str, str]]:
    """The cache key, ETag and headers of the answer that `version` of the data gives at `url`
    (the absolute URL, because pages link to their neighbours by it)."""
    digest = hashlib.sha256(f"{version}|{url}".encode()).hexdigest()[:32]
    etag = f'"{digest}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
    return f"answer:{digest}", etag, headers


def _with_headers(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for header, value in headers.items():
        response[header] = value
    return response


def conditional_get(
    request: Request, *, version: str, render: Callable[[], Response]
) -> Response | HttpResponse:
    """Answer 304 when the client's copy is current, else the body, from the cache if it can.

    `version` names the data the answer is made from (the catalog's change number, a user's,
    and whose answer it is): the same version and URL always give the same body.
    """
    key, etag, headers = _answer(version, request.build_absolute_uri())
    if etag_matches(request, etag):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    body = cache.get(key)
    if body is None:
        response = render()
        if response.status_code != status.HTTP_200_OK:
            return response  # Errors are answered fresh and never cached.
        body = JSONRenderer().render(response.data)
        cache.set(key, body, CACHE_SECONDS)
    return _with_headers(HttpResponse(body, content_type="application/json"), headers)


def _public_catalog_version(request: HttpRequest) -> str:
    # Read once a request: the middleware's miss hands it on to the view.
    if not hasattr(request, "public_catalog_version"):
        request.public_catalog_version = f"catalog:{catalog_version()}:drafts=0"  # type: ignore[attr-defined]
    return str(request.public_catalog_version)  # type: ignore[attr-defined]


_PUBLIC_CATALOG = re.compile(r"^/api/v1/(?:exercises|muscles|equipment)/(?:[-a-zA-Z0-9_]+/)?$")


class PublicCatalogMiddleware:
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
            and _PUBLIC_CATALOG.match(request.path)
        ):
            version = _public_catalog_version(request)
            key, etag, headers = _answer(version, request.build_absolute_uri())
            if etag_matches(request, etag):
                return _with_headers(HttpResponse(status=status.HTTP_304_NOT_MODIFIED), headers)
            if (body := cache.get(key)) is not None:
                return _with_headers(HttpResponse(body, content_type="application/json"), headers)
        return self.get_response(request)


class ConditionalCatalogMixin:
    """list and retrieve with ETag, If-None-Match and a shared cache of rendered bodies."""

    conditional_actions = frozenset({"list", "retrieve"})

    def _conditional(self, request: Request, render: Callable[[], Response]) -> Any:
        from exercises.models import sees_drafts

        if sees_drafts(request.user, "exercises.view_exercise"):
            version = f"catalog:{catalog_version()}:drafts=1"
        else:
            version = _public_catalog_version(request._request)
        return conditional_get(request, version=version, render=render)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        parent = super()
        return self._conditional(request, lambda: parent.list(request, *args, **kwargs))  # type: ignore[attr-defined]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        parent = super()
        return self._conditional(request, lambda: parent.retrieve(request, *args, **kwargs))  # type: ignore[attr-defined]
