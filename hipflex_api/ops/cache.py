"""Django's cache backends, counting gets, hits and misses in django-prometheus' own metrics.

django-prometheus' Redis backend needs django-redis, which this project does not use, and its
local-memory one answers a cached falsy value (0, "", []) with the default; these count the
same metrics without either flaw.
"""

from typing import Any

from django.core.cache.backends import locmem, redis
from django_prometheus.cache.metrics import (  # type: ignore[import-untyped]
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

_MISSING = object()


class _CountedGets:
    backend_label = ""

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        django_cache_get_total.labels(backend=self.backend_label).inc()
        try:
            value = super().get(key, _MISSING, version)  # type: ignore[misc]
        except Exception:
            django_cache_get_fail_total.labels(backend=self.backend_label).inc()
            raise
        if value is _MISSING:
            django_cache_misses_total.labels(backend=self.backend_label).inc()
            return default
        django_cache_hits_total.labels(backend=self.backend_label).inc()
        return value


class LocMemCache(_CountedGets, locmem.LocMemCache):
    backend_label = "locmem"


class RedisCache(_CountedGets, redis.RedisCache):
    backend_label = "redis"


class CounterCache(LocMemCache):
    """Local memory that never drops a live entry to make room: the store of throttle counts
    and mail claims without Redis. LocMemCache, when full, drops the oldest entries, live or
    not, so a flood of anything else cached could reset a login limit; here only expired
    entries go. Its size stays bounded by what the throttles let in: every entry expires
    within the longest throttle window, and one client can make only as many as its limits
    allow."""

    backend_label = "locmem-counters"

    def _cull(self) -> None:
        # LocMemCache's own bookkeeping, which the type stubs leave out.
        expired = [key for key in self._expire_info if self._has_expired(key)]  # type: ignore[attr-defined]
        for key in expired:
            self._delete(key)  # type: ignore[attr-defined]
