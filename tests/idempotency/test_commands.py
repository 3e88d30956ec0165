from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from hipflex_api.idempotency.models import IdempotencyRecord
from tests.factories import IdempotencyRecordFactory

pytestmark = pytest.mark.django_db


def test_purge_deletes_only_idempotency_records_past_their_ttl():
    fresh = IdempotencyRecordFactory()
    stale = IdempotencyRecordFactory()
    IdempotencyRecord.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(hours=1)
    )
    out = StringIO()

    call_command("purge_idempotency_records", stdout=out)

    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert "Deleted 1 " in out.getvalue()
