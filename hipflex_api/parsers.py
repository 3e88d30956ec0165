import io
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers, renderers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class JSONParser(parsers.BaseParser):
    """DRF's JSON parser with Django's body-size limit, which DRF alone does not apply.

    It wraps DRF's parser rather than subclassing it: DRF reads `request.body` up front for
    its own JSONParser and subclasses, and Django then refuses an oversize body with a bare
    HTML 400 before this limit could answer 413 in the API's error shape.
    """

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(f"The request body is over the limit of {limit} bytes.")
        try:
            return parsers.JSONParser().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError as exc:  # Thousands of nested brackets: no client means that.
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser (a file upload), refusing a body longer than the view's
    `upload_max_bytes` with a 413 before any of it is read."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        context = parser_context or {}
        limit = context["view"].upload_max_bytes
        declared = context["request"].META.get("CONTENT_LENGTH") or 0
        try:
            length = int(declared)
        except ValueError:
            raise exceptions.ParseError("The Content-Length header is not a number.") from None
        if length > limit:
            raise RequestTooLarge(f"The request body is over the limit of {limit} bytes.")
        return super().parse(stream, media_type, parser_context)
