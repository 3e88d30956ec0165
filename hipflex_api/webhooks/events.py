"""The events an endpoint may subscribe to."""

from django.db import models


class EventType(models.TextChoices):
    SESSION_CREATED = "session.created", "A session was logged."
    SESSION_UPDATED = "session.updated", "A logged session was changed."
    SESSION_DELETED = "session.deleted", "A logged session was deleted."
    PING = "ping", "A test the endpoint's owner asked for; never subscribed to."


# What an endpoint may ask for: every type but the ping, which only its owner sends.
SUBSCRIBABLE = [choice for choice in EventType if choice is not EventType.PING]
# As the schema names the set (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
SUBSCRIBABLE_NAMES = [kind.value for kind in SUBSCRIBABLE]
