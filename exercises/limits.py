"""How much an exercise or a routine item may prescribe, and how long its lists may be: the
one source of the database constraints, the serializer fields and the admin's checks."""

from hipflex_api.ranges import Range

SETS = Range("Sets", 1, 20)
REPS_PER_SIDE = Range("Reps per side", 1, 200)
HOLD_SECONDS = Range("The hold", 1, 600, " seconds")
REST_SECONDS = Range("Rest", 0, 600, " seconds")
ROUTINE_POSITION = Range("The position", 0, 1000)
# How long a program of a routine runs by default when a trainer prescribes it.
PROGRAM_WEEKS = Range("A program's length", 1, 52, " weeks")

# What a slug in a URL may hold: anything else (a NUL byte, say) is a 404 before it reaches
# the database.
SLUG_PATTERN = "[-a-zA-Z0-9_]+"

# Lines of text (steps, cues, cautions, set-up notes, aliases) one exercise may hold.
TEXT_LINES = 50
# Items one routine may hold.
ROUTINE_ITEMS = 50

# Media items (uploaded images and linked files) one exercise may hold.
MEDIA_ITEMS = 20
# An uploaded image: its file's size, and its longest side, at most; and the formats taken,
# as Pillow names them, with the extension each is stored under.
IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGE_MAX_SIDE = 6000
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# The renditions made of every uploaded image (WebP), by the longest side they fit in.
RENDITIONS = {"thumbnail": 320, "phone": 1080}
