from django.db import models


class ChangeCounter(models.Model):
    """The last change number handed out in one scope (a user's logs, or the catalog)."""

    scope = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope}: {self.value}"
