from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from hipflex_api.changes.counters import catalog_scope, next_change_seq

from .models import DeletedExercise, Equipment, Exercise, Muscle


@receiver(post_delete, sender=Exercise)
def record_deleted_exercise(sender: type[Exercise], instance: Exercise, **kwargs: Any) -> None:
    # A signal rather than Exercise.delete(), so that the admin's bulk delete is seen too.
    # Every deletion is a new catalog version; only what apps saw needs a tombstone.
    with transaction.atomic():
        seq = next_change_seq(catalog_scope())
        if instance.first_published_at is not None:
            DeletedExercise.objects.create(slug=instance.slug, change_seq=seq)


@receiver([post_save, post_delete], sender=Muscle)
@receiver([post_save, post_delete], sender=Equipment)
def count_reference_data_change(sender: type[Any], **kwargs: Any) -> None:
    # Exercises show their muscles' and equipment's names: a change there is a new catalog
    # version too, so cached catalog answers and ETags move on (see exercises.catalog_cache).
    with transaction.atomic():
        next_change_seq(catalog_scope())
