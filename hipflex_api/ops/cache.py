"""Django's cache backends, counting gets, hits and misses in django-prometheus' own metrics.

django-prometheus' Redis backend needs django-redis, which this project does not use, and its
local-memory one answers a cached falsy value (0, "", []) with the default; these count the
same metrics without either flaw.

Cached answers survive their Redis failing (AnswerCache): a cache that cannot be reached is
a miss, and the request is answered from the database.
"""

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache.backends import locmem, redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_prometheus.cache.metrics import (  # type: ignore[import-untyped]
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

from hipflex_api.ops.logs import Rarely

logger = logging.getLogger(__name__)

_MISSING = object()
_T = TypeVar("_T")


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

    def probe(self, key: str) -> None:
        """Store and read back one value under `key`, raising what the store raised: what
        /readyz checks. Django's own calls, past the counting here and AnswerCache's quiet
        ones, which would hide the failure the probe is for."""
        super().set(key, 1, 10)  # type: ignore[misc]
        if super().get(key) != 1:  # type: ignore[misc]
            raise LookupError("the store lost a value it had just stored")


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


class AnswerCache(RedisCache):
    """Cached answers (catalog pages, session lists, sync pages, stats) in Redis, which the
    API can do without: while Redis fails or hangs, a read is a miss and a write is dropped,
    so every request is answered from the database. After a failure a worker leaves Redis
    alone for CACHE_RETRY_SECONDS, so that a hung one costs it one timeout in that time, not
    one per call; then it tries again, and caching resumes by itself. No answer kept from
    before can be stale: each is filed under the change numbers it was made from.

    Django makes a cache backend per thread, so "a worker" is a gunicorn sync worker, or one
    thread of a threaded one. A failure is logged at most once a minute by each, its return
    once, and each failed get is counted in django_cache_get_fail_total."""

    backend_label = "redis-answers"

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        # time.monotonic() until which Redis is not tried; 0 once it answers again.
        self._down_until = 0.0
        self._failures = Rarely(logger)

    def _quietly(self, fallback: _T, call: Callable[..., _T], *args: Any) -> _T:
        if time.monotonic() < self._down_until:
            return fallback
        try:
            found = call(*args)
        except Exception as exc:  # redis-py's errors, and whatever else the client raises.
            self._down_until = time.monotonic() + settings.CACHE_RETRY_SECONDS
            self._failures.warning(
                "The cache of answers is unreachable (%s: %s); answering from the database "
                "and trying it again every %s s",
                type(exc).__name__,
                exc,
                settings.CACHE_RETRY_SECONDS,
            )
            return fallback
        if self._down_until:
            self._down_until = 0.0
            logger.warning("The cache of answers answers again; caching resumes")
        return found

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._quietly(default, super().get, key, default, version)

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._quietly({}, super().get_many, keys, version)

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._quietly(False, super().has_key, key, version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._quietly(None, super().set, key, value, timeout, version)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._quietly(False, super().add, key, value, timeout, version)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        return self._quietly(list(data), super().set_many, data, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._quietly(False, super().touch, key, timeout, version)

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._quietly(False, super().delete, key, version)

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._quietly(None, super().delete_many, keys, version)
