"""What one logged set or session may hold: the one source of the database constraints and
the serializer fields. (How many sets one upload may hold is MAX_SETS_PER_SESSION, a
setting.)"""

from datetime import UTC, datetime, timedelta

from exercises import limits as prescribed
from hipflex_api.ranges import Range

REPS = Range("Reps", 1, 1000)
HOLD_SECONDS = Range("The hold", 1, 3600, " seconds")
PAIN = Range("Pain", 0, 10)
PERCEIVED_EFFORT = Range("Perceived effort", 0, 10)
# A set's planned rest is copied from its routine item.
REST_SECONDS = prescribed.REST_SECONDS

# Sessions (and catalog changes) one page of the sync feed holds: by default, and at most.
SYNC_PAGE = Range("The limit", 1, 500)
SYNC_PAGE_DEFAULT = 100

# When a session may have happened: from 1970 (no phone that logs a workout has a clock set
# earlier but by mistake) to a day past the server's now (a phone's clock a little fast, or a
# far time zone's evening). A wrong clock outside this is refused with a 400, before it can
# break stats, sync or cursors for good. The database, which cannot know now, holds every row
# to EARLIEST and LATEST_STORABLE, far from the ends of the calendar where time zone
# arithmetic overflows.
SESSION_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
SESSION_AHEAD = timedelta(days=1)
SESSION_LATEST_STORABLE = datetime(2200, 1, 1, tzinfo=UTC)
