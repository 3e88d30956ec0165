"""What one logged set or session may hold: the one source of the database constraints and
the serializer fields. (How many sets one upload may hold is MAX_SETS_PER_SESSION, a
setting.)"""

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
