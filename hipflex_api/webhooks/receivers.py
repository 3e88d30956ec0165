"""What the apps connected to an account hear of its connections' and its own end."""

from typing import Any

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from hipflex_api.accounts.models import User
from hipflex_api.accounts.services import connected_apps
from hipflex_api.accounts.signals import ConnectionEnd, connections_ended

from .events import EventType
from .services import emit


@receiver(connections_ended, dispatch_uid="webhooks.connection_revoked")
def connection_revoked(
    *, user_id: int, app_ids: list[int], reason: ConnectionEnd, **_: Any
) -> None:
    for app_id in app_ids:  # Each app hears of its own connection only.
        emit(
            user_id=user_id,
            type=EventType.CONNECTION_REVOKED,
            data={"reason": reason.value},
            apps=[app_id],
        )


@receiver(pre_delete, sender=User, dispatch_uid="webhooks.account_deleted")
def account_deleted(*, instance: User, **_: Any) -> None:
    """Before the cascade takes the person's tokens, by which the apps are known; from the
    API or the admin alike."""
    if connected := connected_apps(user_id=instance.pk):
        emit(user_id=instance.pk, type=EventType.ACCOUNT_DELETED, data={}, apps=sorted(connected))
