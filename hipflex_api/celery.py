"""The Celery application. `celery -A hipflex_api worker` (and `beat`) runs it with the profile
manage.py runs; deployments start `celery -A hipflex_api.worker ...`, which is strict by default.

Tasks are declared with `shared_task` in each app's `tasks.py`, so no module below the entry
points imports this one. Without a broker configured, settings make every task run in the web
process once the request's transaction commits (CELERY_TASK_ALWAYS_EAGER).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hipflex_api.settings")

# DjangoTask, Celery's own base for Django projects; requests enqueue through the database
# (hipflex_api.jobs), so that a job outlives a broker that is down.
app = Celery("hipflex_api", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
