"""The query parameters each operation reads, and a 400 for any other.

A parameter no view reads would otherwise be ignored in silence: a typo (`?dificulty=2`)
would look like a filter that matched everything, and every new junk parameter would make a
new URL, a new ETag and a new cached answer, so that floods of them could fill the cache. So
every API operation names what it reads, derived from the view: its filterset's filters and
its paginator's parameters for a list, and a view's `query_parameters` for the rest (`since`
and `limit` of the sync feed). The schema documents the same set (tests/test_query_params.py
holds the two together), and a request with any other parameter is a 400 naming each.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.views import APIView

from hipflex_api.errors import error_body

# The packages whose views this holds to their parameters (not drf-spectacular's docs pages,
# nor the admin, which take parameters of their own).
_OURS = ("hipflex_api.", "exercises.", "sessions.")
UNKNOWN = "Not a parameter of this operation; see its query parameters in the schema."
# The methods an operation can have; any other is no operation's, and is answered as Django
# and DRF answer it.
_OPERATIONS = {"get", "post", "put", "patch", "delete"}


def _paginator_parameters(paginator: Any) -> set[str]:
    names = ("page_query_param", "page_size_query_param", "cursor_query_param")
    return {name for attr in names if (name := getattr(paginator, attr, None))}


def _list_parameters(view_class: type) -> set[str]:
    found = set()
    if (filterset := getattr(view_class, "filterset_class", None)) is not None:
        found |= set(filterset.base_filters)
    if (pagination := getattr(view_class, "pagination_class", None)) is not None:
        found |= _paginator_parameters(pagination)
    return found


@functools.cache
def query_parameters(view_class: type, action: str) -> frozenset[str]:
    """What `action` (a viewset's action, or an APIView's method) of the view reads."""
    declared = set(getattr(view_class, "query_parameters", {}).get(action, ()))
    listed = _list_parameters(view_class) if action == "list" else set()
    return frozenset(declared | listed)


def _operation(view: Callable[..., Any], method: str) -> tuple[type, str] | None:
    view_class = getattr(view, "cls", None)
    if not (isinstance(view_class, type) and issubclass(view_class, APIView)):
        return None
    if not view_class.__module__.startswith(_OURS):
        return None
    method = "get" if method == "head" else method  # Answered as a GET is, without a body.
    if method not in _OPERATIONS:
        return None  # OPTIONS describes the URL, TRACE and the like get their 405.
    # A viewset's action for the method, or an APIView's handler of it; none, no operation.
    actions = getattr(view, "actions", None) or {
        m: m for m in _OPERATIONS if hasattr(view_class, m)
    }
    action = actions.get(method)
    return (view_class, action) if action else None


class KnownQueryParametersMiddleware:
    """A 400 for a request to one of the API's operations with a parameter it does not read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        operation = _operation(view, request.method.lower() if request.method else "")
        if operation is None or not request.GET:
            return None
        view_class, action = operation
        unknown = sorted(set(request.GET) - query_parameters(view_class, action))
        if not unknown:
            return None
        errors = [{"field": name, "code": "unknown", "message": UNKNOWN} for name in unknown]
        detail = f"Unknown query parameters: {', '.join(unknown)}."
        body = error_body(status_code=400, code="invalid", detail=detail, errors=errors)
        return JsonResponse(body, status=400)
