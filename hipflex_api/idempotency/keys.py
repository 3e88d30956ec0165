"""The Idempotency-Key header on POST: a retry with the same key and body gets the first
answer again, marked Idempotent-Replayed; the same key with another body is refused (422).

A view asks `IdempotentRequest.of(request)` for the key, answers with `replay()` when there
is one, and otherwise makes its answer inside `atomic()` and `record()`s it there, so that
the record commits with what it answers for. Records are kept for IDEMPOTENCY_KEY_TTL and
`purge()`d after (manage.py purge_idempotency_records).
"""

import hashlib
import json
import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from hipflex_api.errors import UnprocessableContent
from hipflex_api.fields import max_length_of

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = max_length_of(IdempotencyRecord, "key")
# Printable ASCII, no spaces: what the key must be, here and in the schema.
KEY_PATTERN = rf"[\x21-\x7e]{{1,{KEY_MAX_LENGTH}}}"
_KEY_PATTERN = re.compile(KEY_PATTERN)


def _request_hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - settings.IDEMPOTENCY_KEY_TTL


@dataclass(frozen=True)
class IdempotentRequest:
    user: Any
    key: str
    request_hash: str

    @classmethod
    def of(cls, request: Request) -> "IdempotentRequest | None":
        """The request's key and body, or None when it carries no Idempotency-Key."""
        key = request.headers.get(HEADER)
        if key is None:
            return None
        if not _KEY_PATTERN.fullmatch(key):
            raise ValidationError(
                {HEADER: [f"Must be 1 to {KEY_MAX_LENGTH} printable characters, no spaces."]}
            )
        return cls(user=request.user, key=key, request_hash=_request_hash(request.data))

    def replay(self) -> Response | None:
        """The first answer to this key, or None when the key is new (or has expired)."""
        records = IdempotencyRecord.objects.filter(user=self.user, key=self.key)
        # A key is remembered for IDEMPOTENCY_KEY_TTL; after that it is free to be used again.
        records.filter(created_at__lt=_cutoff()).delete()
        record = records.first()
        if record is None:
            return None
        if record.request_hash != self.request_hash:
            raise UnprocessableContent(
                "This Idempotency-Key was used before with a different body; use a new key.",
                code="idempotency_key_reused",
            )
        response = Response(record.response_body, status=record.status_code)
        response[REPLAYED_HEADER] = "true"
        if record.etag:
            response["ETag"] = record.etag
        return response

    def record(self, response: Response) -> None:
        """Keep `response` as this key's answer; inside atomic(), with the write it reports."""
        IdempotencyRecord.objects.create(
            user=self.user,
            key=self.key,
            request_hash=self.request_hash,
            status_code=response.status_code,
            response_body=json.loads(json.dumps(response.data, default=str)),
            etag=response.get("ETag", ""),
        )


def atomic(idempotent: IdempotentRequest | None) -> AbstractContextManager[Any]:
    """A transaction for the write and its record together. Without a key there is no record,
    and the write's own transaction is the only one: no savepoint inside an outer one."""
    return transaction.atomic() if idempotent is not None else nullcontext()


def purge(*, now: datetime | None = None) -> tuple[int, datetime]:
    """Delete the records no retry can use any more; how many, and the cut-off."""
    cutoff = _cutoff(now)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted, cutoff
