from collections.abc import Iterator, Sequence

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, get_urlconf, reverse
from django.utils.cache import patch_cache_control
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import MAX_AGE_SECONDS, openapi

DOCS = ("swagger-ui", "redoc", "schema")


def _route_names(patterns: Sequence[URLPattern | URLResolver]) -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            if pattern.name:
                yield pattern.name
        elif not pattern.namespace:  # The admin's names need its namespace; the API has none.
            yield from _route_names(pattern.url_patterns)


def resource_links(request: Request, root: str) -> dict[str, str]:
    """Every named route below `root` that takes no parameter, keyed by its path below it."""
    links = {}
    for name in _route_names(get_resolver(get_urlconf()).url_patterns):
        try:
            path = reverse(name)
        except NoReverseMatch:  # It takes an id or a slug: one item, not a collection.
            continue
        if path.startswith(root) and path != root:
            links[path.removeprefix(root).rstrip("/")] = request.build_absolute_uri(path)
    return dict(sorted(links.items()))


class ApiRootView(APIView):
    """Links to every collection of the API and to its docs, absolute, built from the URL
    resolver so that they follow the routes."""

    # The same answer for every caller, so no credentials are read: a stale token is no 401 here.
    authentication_classes = ()
    permission_classes = (AllowAny,)
    database_free = True  # Links from the URL resolver: no 503 `database_unavailable`.

    @openapi.api_root_schema
    def get(self, request: Request) -> Response:
        response = Response(
            {
                "resources": resource_links(request, root=request.path),
                "docs": {name: request.build_absolute_uri(reverse(name)) for name in DOCS},
            }
        )
        patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
        return response
