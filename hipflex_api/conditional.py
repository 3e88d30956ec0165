"""Conditional requests (RFC 9110, section 13): ETags, If-None-Match and If-Match, decided here
for every view, and answers cached under the version of the data they were made from.

One decision about "*": in If-Match it stands for any current representation, so it lets a
change of an existing resource through and nothing else; in If-None-Match it is not honoured.
RFC 9110 gives If-None-Match "*" to writes that must not overwrite, which this API has none
of; on a read it would say nothing about the client's copy, and a cached page would answer
it before anyone knew whether the page exists. A read with it gets the whole answer.

Every catalog write takes the catalog's next change number, and every write to a user's logs
takes that user's (hipflex_api.changes), so those numbers name versions of the data: an ETag
made from them changes exactly when the data does, and a body cached under them is never
older than the number it is filed under, whichever process or cache holds it.
"""

import hashlib
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from hipflex_api.fields import hides_health_data

CACHE_SECONDS = 60 * 60
CACHE_CONTROL = "private, no-cache"
ANY = "*"


def _listed(header: str, *, weak: bool) -> set[str]:
    tags = {tag.strip() for tag in header.split(",")}
    return {tag.removeprefix("W/") for tag in tags} if weak else tags


def none_match(request: Request | HttpRequest, etag: str) -> bool:
    """Whether If-None-Match names `etag`, by weak comparison (`W/"3"` names `"3"`): the
    client's copy is current, and a read answers 304."""
    header = request.headers.get("If-None-Match")
    return header is not None and etag in _listed(header, weak=True)


def if_match_fails(request: Request | HttpRequest, etag: str | None) -> bool:
    """Whether If-Match was sent and names neither `etag` nor, where there is a current
    representation (`etag` is not None), "*". Strong comparison: a weak tag never licenses a
    write. No If-Match at all never fails."""
    header = request.headers.get("If-Match")
    if header is None:
        return False
    if etag is None:
        return True
    tags = _listed(header, weak=False)
    return etag not in tags and ANY not in tags


def _canonical(url: str) -> str:
    """The URL with its query in one order: `?a=1&b=2` and `?b=2&a=1` ask for one answer.
    (Parameters no view reads never get this far: hipflex_api.query_params refuses them.)"""
    parts = urlsplit(url)
    if "&" not in parts.query:  # One parameter or none (most requests): one order already.
        return url
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit(parts._replace(query=query))


def answer_version(version: str, url: str) -> tuple[str, str, dict[str, str]]:
    """The cache key, ETag and headers of the answer that `version` of the data gives at `url`
    (the absolute URL, because pages link to their neighbours by it)."""
    digest = hashlib.sha256(f"{version}|{_canonical(url)}".encode()).hexdigest()[:32]
    etag = f'"{digest}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Authorization"}
    return f"answer:{digest}", etag, headers


def with_headers(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for header, value in headers.items():
        response[header] = value
    return response


def not_modified(headers: dict[str, str]) -> HttpResponse:
    """A 304: no body, so no Content-Type either."""
    response = with_headers(HttpResponse(status=status.HTTP_304_NOT_MODIFIED), headers)
    del response["Content-Type"]
    return response


def _stored(
    request: HttpRequest, key: str, etag: str, headers: dict[str, str]
) -> HttpResponse | None:
    if none_match(request, etag):
        return not_modified(headers)
    if (body := cache.get(key)) is not None:
        return with_headers(HttpResponse(body, content_type="application/json"), headers)
    return None


def cached_answer(request: HttpRequest, version: str) -> HttpResponse | None:
    """The 304 or the stored body for `version` at this URL, without rendering; None when
    neither can be given (the cache does not hold the answer yet)."""
    return _stored(request, *answer_version(version, request.build_absolute_uri()))


def conditional_get(
    request: Request, *, version: str, render: Callable[[], Response]
) -> Response | HttpResponse:
    """Answer 304 when the client's copy is current, else the body, from the cache if it can.

    `version` names the data the answer is made from (the catalog's change number, a user's,
    and whose answer it is): the same version and URL always give the same body.
    """
    if hides_health_data.get():  # Another body: an app's, without health data.
        version = f"{version}:no-health"
    key, etag, headers = answer_version(version, request.build_absolute_uri())
    if (stored := _stored(request._request, key, etag, headers)) is not None:
        return stored
    response = render()
    if response.status_code != status.HTTP_200_OK:
        return response  # Errors are answered fresh and never cached.
    body = JSONRenderer().render(response.data)
    # A body past the ceiling is answered, not kept: one large account's pages must not fill
    # the cache (its ETag and 304s work all the same, made from the version).
    if len(body) <= settings.CACHE_MAX_BODY_BYTES:
        cache.set(key, body, CACHE_SECONDS)
    return with_headers(HttpResponse(body, content_type="application/json"), headers)
