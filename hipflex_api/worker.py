"""The entry point for deployed Celery processes: `celery -A hipflex_api.worker worker|beat`."""

import os

# A worker started without DJANGO_ENV runs the strict profile, as gunicorn does (wsgi.py).
os.environ.setdefault("DJANGO_ENV", "production")

from hipflex_api.celery import app

__all__ = ["app"]
