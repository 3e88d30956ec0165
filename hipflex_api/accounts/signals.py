"""What accounts tell the apps above them, which they may not import."""

from django.db import models
from django.dispatch import Signal

# Sent with `link` inside the transaction that ends a coaching link, from either side or by
# deleting either account: what was prescribed through it ends with it.
link_ended = Signal()


class ConnectionEnd(models.TextChoices):
    """Why a person's connections to apps ended."""

    REVOKED = "revoked", "The person disconnected the app"
    PASSWORD_CHANGED = "password_changed", "A new password ended every app's tokens"


# Sent with `user_id`, `app_ids` and `reason` (a ConnectionEnd) inside the transaction that
# ends a person's connections to apps, before their tokens go.
connections_ended = Signal()
# As the schema lists them (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
CONNECTION_END_REASONS = ConnectionEnd.values
