import pytest
from django.conf import settings
from django.test import override_settings

from tests.servers import PrivateRedis


@pytest.fixture
def redis(tmp_path):
    """A Redis of this test's own, which it may stop, start, pause and resume."""
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def on_redis(redis):
    """The caches as production has them with REDIS_URL set, on `redis`: cached answers
    (database 0) that do without it, and the counters (database 1) that fail closed. Redis is
    tried again at once after a failure (CACHE_RETRY_SECONDS 0), unless the test says not."""
    options = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
    caches = {
        "default": {
            "BACKEND": "hipflex_api.ops.cache.AnswerCache",
            "LOCATION": f"{redis.url}/0",
            "OPTIONS": options,
        },
        settings.COUNTERS_CACHE: {
            "BACKEND": "hipflex_api.ops.cache.RedisCache",
            "LOCATION": f"{redis.url}/1",
            "OPTIONS": options,
        },
    }
    with override_settings(CACHES=caches, CACHE_RETRY_SECONDS=0):
        yield redis
