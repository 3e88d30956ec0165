"""GET /api/v1/, the index of the API. It sits beside urls.py, above every app, because it names
the routes of all of them."""

# How long a cache may keep the index: its links change only when a deployment does.
MAX_AGE_SECONDS = 60 * 60
