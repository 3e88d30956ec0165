"""Receivers of what the layers below tell sessions."""

from typing import Any

from django.dispatch import receiver

from hipflex_api.accounts.signals import link_ended

from . import services


@receiver(link_ended, dispatch_uid="sessions.assignments_end_with_link")
def _assignments_end_with_link(sender: Any, **kwargs: Any) -> None:
    services.assignments_end_with_link(**kwargs)
