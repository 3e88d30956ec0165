"""Throttle counts live apart from cached answers: no flood of those can reset a limit."""

import time

import pytest
from django.core.cache import caches

from hipflex_api.ops.cache import CounterCache
from tests.conftest import EXERCISES_URL, login
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def test_a_flood_of_cached_answers_cannot_reset_the_login_limits(api_client, user, settings):
    for _ in range(10):
        assert login(user.email, "wrong-guess", REMOTE_ADDR="203.0.113.7").status_code == 401
    # Each search makes a new cached answer: more than the answers' cache holds (300 by
    # default), so that it drops its oldest entries.
    for n in range(310):
        assert api_client.get(EXERCISES_URL, {"search": f"flood {n}"}).status_code == 200

    assert_error(login(user.email, REMOTE_ADDR="203.0.113.7"), 429, "throttled")
    assert caches[settings.COUNTERS_CACHE] is not caches["default"]


def test_the_counters_store_drops_only_expired_entries_when_full():
    store = CounterCache("test-counters", {"OPTIONS": {"MAX_ENTRIES": 3}})
    store.clear()
    store.set("gone", 1, timeout=0.01)
    time.sleep(0.02)
    for n in range(5):
        store.set(f"live{n}", n, timeout=60)

    assert [store.get(f"live{n}") for n in range(5)] == [0, 1, 2, 3, 4]
    assert store.get("gone") is None
    assert "gone" not in str(list(store._expire_info))
