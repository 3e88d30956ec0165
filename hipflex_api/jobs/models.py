import uuid

from django.db import models
from django.db.models.functions import Now


class Job(models.Model):
    """A job a committed transaction asked for, which the broker has not taken yet."""

    # Also the Celery task id, so that the worker's log names the row a job came from.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    # What logs may show of the arguments: a mail's body holds a token, its address is masked.
    argsrepr = models.CharField(max_length=500, blank=True)
    # The database's clock, as the relay's comparison: web hosts' clocks may differ.
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        # The relay takes the oldest first.
        indexes = [models.Index(fields=["created_at"], name="jobs_job_created_at")]

    def __str__(self) -> str:
        return f"{self.task} {self.argsrepr} ({self.pk})"
