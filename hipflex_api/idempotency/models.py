from typing import ClassVar

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed to its retries."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="idempotency_records",
        # idempotency_user_key_unique leads with the user and serves its lookups.
        db_index=False,
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    etag = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        # The table the sessions app made before this model moved here.
        db_table = "training_sessions_idempotencyrecord"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.key}"
