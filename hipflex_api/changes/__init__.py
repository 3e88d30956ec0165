"""Change numbers for the sync feed.

A change takes the next number of its scope inside the writing transaction. The UPDATE locks
the scope's counter row until that transaction ends, so within a scope the numbers commit in
the order they were handed out: a reader that has seen number N can never later find a
smaller number appear. Wall-clock timestamps give no such guarantee.
"""

from django.db import IntegrityError, transaction
from django.db.models import F


def catalog_scope() -> str:
    return "catalog"


def user_scope(user_id: int) -> str:
    return f"user:{user_id}"


def next_change_seq(scope: str) -> int:
    from .models import ChangeCounter

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_change_seq() must run inside the writing transaction.")
    if not ChangeCounter.objects.filter(scope=scope).update(value=F("value") + 1):
        try:
            with transaction.atomic():
                ChangeCounter.objects.create(scope=scope, value=1)
            return 1
        except IntegrityError:  # Another transaction created the row first: count on it.
            ChangeCounter.objects.filter(scope=scope).update(value=F("value") + 1)
    return ChangeCounter.objects.values_list("value", flat=True).get(scope=scope)
