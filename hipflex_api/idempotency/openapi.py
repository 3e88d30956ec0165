"""The Idempotency-Key header and its answer's mark, for any POST view that takes a key."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from .keys import HEADER, KEY_MAX_LENGTH, KEY_PATTERN, REPLAYED_HEADER

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH, "pattern": f"^{KEY_PATTERN}$"},
    OpenApiParameter.HEADER,
    description=f"Any unique string (a UUID is ideal), at most {KEY_MAX_LENGTH} printable "
    f"characters. A retry with the same key and body gets the first response again, marked "
    f"`{REPLAYED_HEADER}: true`; the same key with another body gets 422.",
)


# On the 201 of the create a key replays.
REPLAYED = OpenApiParameter(
    REPLAYED_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description=f"`true` when this is the stored first response to an earlier request with the "
    f"same {HEADER}.",
)
