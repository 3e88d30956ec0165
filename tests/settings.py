"""The project's settings, as the suite runs them: without a developer's .env."""

import os

os.environ["DJANGO_READ_DOT_ENV"] = "false"

from hipflex_api.settings import *  # noqa: F403
