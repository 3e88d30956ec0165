from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from hipflex_api.changes.counters import catalog_scope, next_change_seq

from .models import DeletedExercise, Equipment, Exercise, ExerciseMedia, MediaRendition, Muscle
from .services import forget_file


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


@receiver(post_delete, sender=ExerciseMedia)
@receiver(post_delete, sender=MediaRendition)
def forget_the_deleted_file(sender: type[Any], instance: Any, **kwargs: Any) -> None:
    # After the commit: a deletion that rolls back must find its file still there.
    if name := instance.file.name:
        transaction.on_commit(lambda: forget_file(name))


@receiver(pre_save, sender=ExerciseMedia)
def forget_the_replaced_file(sender: type[Any], instance: Any, **kwargs: Any) -> None:
    # A trainer who uploads another image in place of one leaves no file behind. (Renditions
    # keep one name per image, and go with their rows when the image is replaced.)
    if instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("file", flat=True).first()
    if old and old != instance.file.name:
        transaction.on_commit(lambda: forget_file(old))
