from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from hipflex_api.changes import catalog_scope, next_change_seq

from .models import DeletedExercise, Exercise


@receiver(post_delete, sender=Exercise)
def record_deleted_exercise(sender: type[Exercise], instance: Exercise, **kwargs: Any) -> None:
    # A signal rather than Exercise.delete(), so that the admin's bulk delete is seen too.
    # Drafts that apps never saw need no tombstone.
    if instance.first_published_at is not None:
        DeletedExercise.objects.create(
            slug=instance.slug, change_seq=next_change_seq(catalog_scope())
        )
