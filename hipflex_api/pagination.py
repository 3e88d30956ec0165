import re
from collections.abc import Callable, Sequence
from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from hipflex_api.filters import refuse_empty, utc_time

# The most rows one page of any list may hold.
MAX_PAGE_SIZE = 100
# The most a whole number in a query may be when its parameter has no maximum of its own (a
# page number): what a 64-bit integer, the widest of the database and of most clients, holds.
MAX_QUERY_INTEGER = 2**63 - 1


def positive_int_param(request: Request, name: str, maximum: int | None = None) -> int | None:
    refuse_empty(request.query_params, [name])
    raw = request.query_params.get(name)
    if raw is None:
        return None
    limit = f" from 1 to {maximum}" if maximum else " of 1 or more"
    message = f"Must be a whole number{limit}."
    if not raw.isascii() or not raw.isdigit():
        raise ValidationError({name: [message]}, code="invalid")
    top = maximum or MAX_QUERY_INTEGER
    # Its digits counted before int() reads them: Python refuses a number of over 4300 digits
    # (a 500), and takes its time over one of thousands.
    digits = raw.lstrip("0") or "0"
    if len(digits) > len(str(top)) or int(digits) > top:
        message = f"Must be a whole number from 1 to {top}."
        raise ValidationError({name: [message]}, code="out_of_range")
    if int(digits) < 1:
        raise ValidationError({name: [message]}, code="out_of_range")
    return int(digits)


# The links' examples, as this server writes them (DRF's own name another API's URL, and its
# cursor example is not a valid URI).
_SERVER = "http://127.0.0.1:8000/api/v1"


def _link_examples(schema: dict[str, Any], next_url: str, previous_url: str) -> dict[str, Any]:
    schema["properties"]["next"]["example"] = next_url
    schema["properties"]["previous"]["example"] = previous_url
    return schema


def rows_within(rows: Sequence[Any], weight: Callable[[Any], int], cap: int) -> int:
    """How many of the leading rows fit in `cap` together; the first always does."""
    total = 0
    for count, row in enumerate(rows):
        total += weight(row)
        if total > cap and count:
            return count
    return len(rows)


class PageNumberPagination(pagination.PageNumberPagination):
    """Page numbers with strict parameters: garbage or an oversize page is a 400, not a guess."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_page_message = "Page {page_number} does not exist: {message}."

    def get_page_size(self, request: Request) -> int | None:
        size = positive_int_param(request, self.page_size_query_param, self.max_page_size)
        return size or self.page_size

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return _link_examples(
            super().get_paginated_response_schema(schema),
            f"{_SERVER}/exercises/?page=3",
            f"{_SERVER}/exercises/?page=1",
        )

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        return positive_int_param(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["schema"]["default"] = self.page_size
            else:
                parameter["schema"]["maximum"] = MAX_QUERY_INTEGER
        return parameters


class StartedAtCursorPagination(pagination.CursorPagination):
    """Newest first by start time, stable under inserts; a bad cursor is a 400, not a guess."""

    ordering = ("-started_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    # Where one row can be large, a page also holds at most this much of row_weight(): the
    # rows that fit, and at least one, with the cursor going on from the last of them.
    max_page_weight: int | None = None
    _fitting: int | None = None

    def row_weight(self, row: Any) -> int:
        return 1

    def get_page_size(self, request: Request) -> int | None:
        if self._fitting is not None:
            return self._fitting
        size = positive_int_param(request, self.page_size_query_param, self.max_page_size)
        return size or self.page_size

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        page = super().paginate_queryset(queryset, request, view)
        if page is None or self.max_page_weight is None:
            return page
        fitting = rows_within(page, self.row_weight, self.max_page_weight)
        if fitting == len(page):
            return page
        # Read again as a page of the rows that fit, so that the links and cursors are DRF's
        # own; only pages over the weight pay for the second read.
        self._fitting = fitting
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return _link_examples(
            super().get_paginated_response_schema(schema),
            f"{_SERVER}/sessions/?cursor=cD0yMDI2LTExLTI2KzA2JTNBMzAlM0EwMCUyQjAwJTNBMDA%3D",
            f"{_SERVER}/sessions/?cursor=cj0xJnA9MjAyNi0xMS0yNyswNiUzQTMwJTNBMDAlMkIwMCUzQTAw",
        )

    def decode_cursor(self, request: Request) -> Any:
        message = {self.cursor_query_param: ["Not a cursor this server handed out."]}
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        # Base64 decoding skips characters outside its alphabet, so "%%%" would read as no cursor.
        if not _BASE64.fullmatch(raw):
            raise ValidationError(message, code="invalid")
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError(message, code="invalid") from exc
        # The position is compared with started_at, so it must be a time with its offset, and
        # one that exists in UTC (not 0001-01-01T00:00+01:00).
        if (
            cursor is not None
            and cursor.position is not None
            and utc_time(str(cursor.position)) is None
        ):
            raise ValidationError(message, code="invalid")
        return cursor

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
