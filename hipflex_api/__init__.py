# Loaded with Django, so that every shared_task binds to the project's Celery application.
from .celery import app as celery_app

__all__ = ["celery_app"]
