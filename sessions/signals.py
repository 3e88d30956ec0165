"""Receivers of what the layers below tell sessions."""

from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from hipflex_api.accounts.models import CoachingLink, User
from hipflex_api.accounts.signals import link_ended
from hipflex_api.changes.counters import note_links_changed

from . import services


@receiver(link_ended, dispatch_uid="sessions.assignments_end_with_link")
def _assignments_end_with_link(sender: Any, **kwargs: Any) -> None:
    services.assignments_end_with_link(**kwargs)


@receiver(pre_delete, sender=CoachingLink, dispatch_uid="sessions.programs_end_with_deleted_link")
def _programs_end_with_deleted_link(sender: Any, instance: CoachingLink, **kwargs: Any) -> None:
    # A link deleted without ending first (a trainer's account deleted in the admin, say):
    # its programs still leave the client's devices, as tombstones, and the trainer's list
    # changes, as when a link ends (its counter last, as there).
    if instance.ended_at is None:
        client_going = _deletes_user(kwargs.get("origin"), instance.client_id)
        services.assignments_end_with_link(link=instance, tell=not client_going)
        note_links_changed(instance.trainer_id)


def _deletes_user(origin: Any, user_id: int) -> bool:
    """Whether the deletion that takes the link (`origin`, what delete() was called on) is
    the account's: an event made for it now would outlive the rows collected to go."""
    if isinstance(origin, User):
        return bool(origin.pk == user_id)
    if isinstance(origin, QuerySet) and origin.model is User:
        return origin.filter(pk=user_id).exists()
    return False
