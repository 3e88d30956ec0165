"""The API root's OpenAPI text, so that views.py reads as behaviour."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from . import MAX_AGE_SECONDS

_SERVER = "http://127.0.0.1:8000"

# A few of the links; tests/test_api_root.py checks that each one is among those served.
EXAMPLE = {
    "resources": {
        "auth/register": f"{_SERVER}/api/v1/auth/register/",
        "auth/token": f"{_SERVER}/api/v1/auth/token/",
        "equipment": f"{_SERVER}/api/v1/equipment/",
        "exercises": f"{_SERVER}/api/v1/exercises/",
        "me": f"{_SERVER}/api/v1/me/",
        "muscles": f"{_SERVER}/api/v1/muscles/",
        "routines": f"{_SERVER}/api/v1/routines/",
        "sessions": f"{_SERVER}/api/v1/sessions/",
        "sync": f"{_SERVER}/api/v1/sync/",
    },
    "docs": {
        "swagger-ui": f"{_SERVER}/api/docs/",
        "redoc": f"{_SERVER}/api/redoc/",
        "schema": f"{_SERVER}/api/schema/",
    },
}

API_ROOT = inline_serializer(
    "ApiRoot",
    {
        "resources": serializers.DictField(
            child=serializers.URLField(),
            help_text="Every collection and every action that takes no id, keyed by its path "
            "below `/api/v1/`: `exercises`, `sessions`, `me/stats`, `auth/token/refresh`...",
        ),
        "docs": serializers.DictField(
            child=serializers.URLField(),
            help_text="`swagger-ui` and `redoc`, the docs pages, and `schema`, this document.",
        ),
    },
)

api_root_schema = extend_schema(
    operation_id="getApiIndex",
    summary="Links to every collection and to the docs",
    description="The index of the API, for a person or a client exploring it: absolute links, "
    "built from the server's routes and from the address the request came to. Needs no "
    "account; every caller gets the same answer, which caches may keep for "
    f"{MAX_AGE_SECONDS // 60} minutes.",
    tags=["root"],
    responses={
        200: OpenApiResponse(
            API_ROOT,
            description="The links, by name.",
            examples=[OpenApiExample("Some of the links", value=EXAMPLE)],
        )
    },
    parameters=[
        OpenApiParameter(
            "Cache-Control",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            response=[200],
            description=f"`public, max-age={MAX_AGE_SECONDS}`: the links change only with a "
            "deployment.",
        )
    ],
)
