"""What one logged set or session may hold: the one source of the database constraints and
the serializer fields. (How many sets one upload may hold, MAX_SETS_PER_SESSION, and how many
sessions one account may store a day and start from routines an hour, MAX_SESSIONS_PER_DAY and
MAX_ROUTINE_STARTS_PER_HOUR, are settings.)"""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from exercises import limits as prescribed
from hipflex_api.ranges import Range

REPS = Range("Reps", 1, 1000)
HOLD_SECONDS = Range("The hold", 1, 3600, " seconds")
PAIN = Range("Pain", 0, 10)
PERCEIVED_EFFORT = Range("Perceived effort", 0, 10)
# A set's planned rest is copied from its routine item.
REST_SECONDS = prescribed.REST_SECONDS

# A program a trainer assigns: how often a day, on which days of the week (ISO, 1 = Monday),
# stored as one bit per day (bit 0 Monday), and from when to when.
TIMES_PER_DAY = Range("Times per day", 1, 6)
ISO_WEEKDAY = Range("A day of the week", 1, 7)
EVERY_DAY = 0b1111111
WEEKDAYS = Range("The days of the week", 1, EVERY_DAY)
PROGRAM_EARLIEST = date(1970, 1, 1)
PROGRAM_LATEST = date(2199, 12, 31)

# Sessions (and catalog changes) one page of the sync feed holds: by default, and at most.
SYNC_PAGE = Range("The limit", 1, 500)
SYNC_PAGE_DEFAULT = 100

# How much one page of sessions (the session list, the sync feed) may hold, in bytes of JSON
# as reckoned from the rows read: a session's fields take at most SESSION_BYTES and a set's
# at most SET_BYTES besides their notes, which are measured as JSON strings. A page of 100
# sessions of 200 sets (what the upload limits allow) would otherwise be megabytes; with this,
# pages of such sessions hold fewer of them, and a page always holds at least one.
PAGE_BYTES = 512 * 1024
SESSION_BYTES = 600
SET_BYTES = 220


def _text_bytes(text: str) -> int:
    # Most notes are empty: only written ones pay for the measuring.
    return len(json.dumps(text, ensure_ascii=False).encode()) if text else 0


ASSIGNMENT_BYTES = 700
ASSIGNMENT_ITEM_BYTES = 260


def assignment_bytes(assignment: Any) -> int:
    """About as many bytes as `assignment`'s JSON takes, from its prefetched items."""
    items = assignment.items.all()
    notes = _text_bytes(assignment.note) + sum(_text_bytes(item.notes) for item in items)
    return ASSIGNMENT_BYTES + ASSIGNMENT_ITEM_BYTES * len(items) + notes


def session_bytes(session: Any) -> int:
    """About as many bytes as `session`'s JSON takes, from its prefetched sets."""
    sets = session.sets.all()
    notes = _text_bytes(session.notes) + sum(_text_bytes(item.notes) for item in sets)
    return SESSION_BYTES + SET_BYTES * len(sets) + notes


# When a session may have happened: from 1970 (no phone that logs a workout has a clock set
# earlier but by mistake) to a day past the server's now (a phone's clock a little fast, or a
# far time zone's evening). A wrong clock outside this is refused with a 400, before it can
# break stats, sync or cursors for good. The database, which cannot know now, holds every row
# to EARLIEST and LATEST_STORABLE, far from the ends of the calendar where time zone
# arithmetic overflows.
SESSION_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
SESSION_AHEAD = timedelta(days=1)
SESSION_LATEST_STORABLE = datetime(2200, 1, 1, tzinfo=UTC)
