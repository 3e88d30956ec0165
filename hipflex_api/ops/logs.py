"""The pieces settings.LOGGING names: every record logged while a request is answered carries
that request's id."""

import logging
import threading
import time
from contextvars import ContextVar
from typing import Any

# Set by RequestIdMiddleware for as long as it answers a request; a task run eagerly inside the
# request inherits it.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was logged in, if there is one (the text
    format prints `-` for none, the JSON format null)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (request_id := current_request_id.get()) is not None:
            record.request_id = request_id
        return True


class RunserverRequestLineFilter(logging.Filter):
    """Drops runserver's own line per request (http.server's access-log format), which would
    repeat the request line RequestIdMiddleware logs; runserver's other messages pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != '"%s" %s %s'


class Rarely:
    """A warning logged at most once per `seconds` through this object: a store that is down
    fails every request, and one line a minute says so as well as a thousand would."""

    def __init__(self, logger: logging.Logger, seconds: float = 60.0) -> None:
        self._logger, self._seconds = logger, seconds
        self._lock = threading.Lock()
        self._last = -seconds

    def warning(self, message: str, *args: Any) -> bool:
        """Logs unless it did within the time; says whether it did."""
        with self._lock:
            now = time.monotonic()
            if now - self._last < self._seconds:
                return False
            self._last = now
        self._logger.warning(message, *args)
        return True
