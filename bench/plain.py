"""The API with one hot-path trick switched off, the plain Django or DRF way in its place, for
the "hot paths" table of bench/README.md: gunicorn serves `bench.plain:application` with
BENCH_PLAIN naming the trick, and the run measures the rows that trick serves.

Each plain way gives the same answers as the trick it replaces; only the work differs.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Trick:
    where: str  # The code, for the table.
    what: str
    rows: tuple[str, ...]  # The benchmark rows it serves.
    switch_off: Callable[[], None]


def _orm_user_with_versions() -> None:
    from django.db.models import CharField, IntegerField, Subquery, Sum, Value
    from django.db.models.functions import Cast, Coalesce, Concat

    from hipflex_api.accounts import auth
    from hipflex_api.accounts.models import CoachingLink
    from hipflex_api.accounts.permissions import COACH_PERMISSION
    from hipflex_api.changes.counters import catalog_scope, links_scope, user_scope
    from hipflex_api.changes.models import ChangeCounter

    def counter(scope: Any) -> Coalesce:
        value = ChangeCounter.objects.filter(scope=scope).values("value")[:1]
        return Coalesce(Subquery(value), Value(0), output_field=IntegerField())

    def clients_changes(user_id: Any) -> int:
        scopes = CoachingLink.objects.filter(trainer_id=user_id, ended_at__isnull=True).values(
            scope=Concat(Value(user_scope("")), Cast("client_id", CharField()))
        )
        total = ChangeCounter.objects.filter(scope__in=Subquery(scopes)).aggregate(Sum("value"))
        return total["value__sum"] or 0

    def user_with_versions(user_id: Any, *, coaching: bool = False) -> Any:
        # The same numbers, built by the ORM for every request; a coaching view's permission
        # asked of the auth backend, as has_perm does.
        users = auth.User.objects.annotate(
            user_changes=counter(Value(user_scope(user_id))),
            catalog_changes=counter(Value(catalog_scope())),
        )
        if coaching:
            users = users.annotate(links_changes=counter(Value(links_scope(user_id))))
        user = users.filter(pk=user_id).first()
        if coaching and user is not None:
            user.clients_changes = clients_changes(user_id)
            user.can_coach = user.has_perm(COACH_PERMISSION)
        return user

    auth.user_with_versions = user_with_versions


def _unprepared() -> None:
    from django.conf import settings

    settings.DATABASE_PREPARED_STATEMENTS = False


def _orm_increment() -> None:
    from django.db.models import F

    from hipflex_api.changes import counters

    def increment(scope: str) -> int | None:
        # UPDATE, then SELECT: what the ORM does without RETURNING.
        rows = counters.ChangeCounter.objects.filter(scope=scope)
        if not rows.update(value=F("value") + 1):
            return None
        return rows.values_list("value", flat=True).get()

    counters._increment = increment


def _prefetch_again() -> None:
    from django.db.models import prefetch_related_objects

    from sessions import services

    def with_sets(session: Any, sets: list[Any]) -> Any:
        # Read back what was just written, as the public API does it.
        session.__dict__.pop("_prefetched_objects_cache", None)
        prefetch_related_objects([session], services.sets_prefetch())
        return session

    services._with_sets = with_sets


def _no_catalog_middleware() -> None:
    from django.conf import settings

    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if not m.endswith("CatalogCacheMiddleware")
    ]


def _export_instances() -> None:
    from django.db.models import Q

    from sessions import serializers, services
    from sessions.models import WorkoutSession

    def chunks(*, user: Any, size: int = services.EXPORT_CHUNK_SIZE) -> Any:
        # The same keyset chunks, as model instances with their sets prefetched.
        live = WorkoutSession.objects.for_user(user).live().order_by("-started_at", "-id")
        after = Q()
        while chunk := list(services.sessions_with_sets(live.filter(after))[:size]):
            yield chunk
            if len(chunk) < size:
                return
            after = services.export_after(chunk[-1].started_at, chunk[-1].id)

    def readers() -> Any:
        # Each session instance through the serializer, as DRF's `data` does it.
        return [], serializers.WorkoutSessionSerializer().to_representation, []

    services.session_export_chunks = chunks
    serializers.export_readers = readers


TRICKS = {
    "auth-sql": Trick(
        "accounts/auth.py user_with_versions",
        "the caller's row and change numbers by hand-written SQL, not the ORM",
        ("session-list-304", "session-upload", "clients-many"),
        _orm_user_with_versions,
    ),
    "prepared-auth": Trick(
        "accounts/auth.py _execute",
        "the caller's row and change numbers by a statement prepared once per PostgreSQL "
        "connection, not planned again on each request",
        ("session-list-304", "clients-many", "review-many"),
        _unprepared,
    ),
    "update-returning": Trick(
        "changes/counters.py _increment",
        "a change number by UPDATE ... RETURNING, not UPDATE then SELECT",
        ("session-upload",),
        _orm_increment,
    ),
    "prefilled-prefetch": Trick(
        "sessions/services.py _with_sets",
        "the answer from the sets just written, set as the prefetch, not read back",
        ("session-upload",),
        _prefetch_again,
    ),
    "catalog-middleware": Trick(
        "exercises/catalog_cache.py CatalogCacheMiddleware",
        "anonymous catalog reads answered from the cache before DRF",
        ("catalog-list", "catalog-304"),
        _no_catalog_middleware,
    ),
    "export-rows": Trick(
        "sessions/serializers.py export_readers",
        "the export's sessions read as values() rows, each field through its own "
        "to_representation, not as model instances through the serializer",
        ("export-heavy",),
        _export_instances,
    ),
}

_name = os.environ.get("BENCH_PLAIN", "")
if _name:
    import django

    django.setup()
    TRICKS[_name].switch_off()


def __getattr__(name: str) -> Any:
    # gunicorn's `bench.plain:application`, made only when asked for: the tests import TRICKS
    # into a process whose Django is set up already, and must not set up a WSGI server's.
    if name == "application":
        from hipflex_api.wsgi import application

        return application
    raise AttributeError(name)


__all__ = ["TRICKS", "application"]  # noqa: F822 - made by __getattr__
