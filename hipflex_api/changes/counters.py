"""Change numbers, for the sync feed and for the versions that ETags and cached answers name.

A change takes the next number of its scope inside the writing transaction. The UPDATE locks
the scope's counter row until that transaction ends, so within a scope the numbers commit in
the order they were handed out: a reader that has seen number N can never later find a
smaller number appear. Wall-clock timestamps give no such guarantee.
"""

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model

from hipflex_api.domain_errors import AccountDeleted

from .models import ChangeCounter


def catalog_scope() -> str:
    return "catalog"


def user_scope(user_id: Any) -> str:
    return f"user:{user_id}"


def links_scope(trainer_id: Any) -> str:
    """A trainer's standing coaching links: the number moves whenever one starts or ends."""
    return f"links:{trainer_id}"


def _increment(scope: str) -> int | None:
    """Add one to the scope's counter and return it, or None if the scope has no counter yet.

    One statement, UPDATE ... RETURNING, where the database has it (PostgreSQL, SQLite 3.35
    and later): every write to a session or the catalog takes a number.
    """
    if not connection.features.can_return_columns_from_insert:  # An older SQLite.
        counters = ChangeCounter.objects.filter(scope=scope)
        if not counters.update(value=F("value") + 1):
            return None
        return counters.values_list("value", flat=True).get()
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(ChangeCounter._meta.db_table)} SET {quote('value')} = {quote('value')} + 1"  # noqa: S608
        f" WHERE {quote('scope')} = %s RETURNING {quote('value')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [scope])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def next_change_seq(scope: str) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_change_seq() must run inside the writing transaction.")
    if scope == catalog_scope():
        transaction.on_commit(forget_catalog_version)
    while (value := _increment(scope)) is None:
        try:
            with transaction.atomic():
                ChangeCounter.objects.create(scope=scope, value=1)
            return 1
        except IntegrityError:
            pass  # Another transaction created the row first: count on it.
    return value


def next_user_change_seq(user_id: int) -> int:
    """The next number in a user's change feed, and a guard against a concurrent deletion.

    Deleting an account takes the same counter lock first (see user_delete), so once this
    returns, either the account is still there and stays until this transaction ends, or it
    is gone and the write must not go on.
    """
    seq = next_change_seq(user_scope(user_id))
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise AccountDeleted
    return seq


def lock_user_changes(user_id: int) -> None:
    """Wait for the user's writes in flight to commit, and hold off new ones."""
    next_change_seq(user_scope(user_id))


def note_links_changed(trainer_id: int) -> None:
    """The trainer's set of standing links changed, in this transaction.

    Taken last, after every other lock the start or end takes, and by nothing else: no one
    holds it while waiting for a lock that a link's start or end needs first."""
    next_change_seq(links_scope(trainer_id))


def forget_user_changes(user_id: int) -> None:
    ChangeCounter.objects.filter(scope__in=[user_scope(user_id), links_scope(user_id)]).delete()


def current_values(*scopes: str) -> list[int]:
    """The current change numbers of the scopes, in one query."""
    found = dict(ChangeCounter.objects.filter(scope__in=scopes).values_list("scope", "value"))
    return [found.get(scope, 0) for scope in scopes]


# The catalog version as this process last read it: (value, when). Catalog writes in this
# process forget it when they commit; other processes see them within CATALOG_VERSION_SECONDS.
_catalog_seen: tuple[int, float] | None = None


def catalog_version() -> int:
    global _catalog_seen
    now = time.monotonic()
    if _catalog_seen is not None and now - _catalog_seen[1] < settings.CATALOG_VERSION_SECONDS:
        return _catalog_seen[0]
    [value] = current_values(catalog_scope())
    _catalog_seen = (value, now)
    return value


def forget_catalog_version() -> None:
    global _catalog_seen
    _catalog_seen = None


def user_version(user: Model) -> str:
    """The version of one user's logs and of the catalog their answers name.

    Read with the user row when the request authenticated (accounts.auth), else in one query.
    The numbers read with the row are those from the start of the request: for reads only,
    never after the request has written.
    """
    if hasattr(user, "user_changes"):
        return f"{user.user_changes}:{user.catalog_changes}"  # type: ignore[attr-defined]
    changes, catalog = current_values(user_scope(user.pk), catalog_scope())
    return f"{changes}:{catalog}"
