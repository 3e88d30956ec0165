"""The events an endpoint may subscribe to, and what a connected app must hold to hear each."""

from django.db import models

from hipflex_api.accounts.scopes import Scope


class EventType(models.TextChoices):
    SESSION_CREATED = "session.created", "A session was logged."
    SESSION_UPDATED = "session.updated", "A logged session was changed."
    SESSION_DELETED = "session.deleted", "A logged session was deleted."
    PAIN_REPORTED = "pain.reported", "A session was saved with pain at or above the threshold."
    CONNECTION_REVOKED = "connection.revoked", "A person's connection to an app ended."
    ACCOUNT_DELETED = "account.deleted", "A person who had connected the app deleted the account."
    ASSIGNMENT_CREATED = "assignment.created", "A trainer prescribed the person a program."
    ASSIGNMENT_CHANGED = "assignment.changed", "A program of the person's changed or ended."
    ADHERENCE_WEEKLY = "adherence.weekly", "A program's week ended: what was due and done."
    PING = "ping", "A test the endpoint's owner asked for; never subscribed to."


# What an endpoint may ask for: every type but the ping, which only its owner sends.
SUBSCRIBABLE = [choice for choice in EventType if choice is not EventType.PING]
# As the schema names the set (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
SUBSCRIBABLE_NAMES = [kind.value for kind in SUBSCRIBABLE]

# The scope a person must have granted an app for its endpoints to hear of a change to
# their data, as its token would need to read it; what is not here (the connection's own
# end, the account's) every connected app hears. A person's own endpoints hear everything.
SCOPE_NEEDED: dict[EventType, Scope] = {
    EventType.SESSION_CREATED: Scope.SESSIONS_READ,
    EventType.SESSION_UPDATED: Scope.SESSIONS_READ,
    EventType.SESSION_DELETED: Scope.SESSIONS_READ,
    EventType.PAIN_REPORTED: Scope.PAIN_READ,
    # As `GET /api/v1/me/assignments/` reads programs, and `/me/stats/` their adherence.
    EventType.ASSIGNMENT_CREATED: Scope.SESSIONS_READ,
    EventType.ASSIGNMENT_CHANGED: Scope.SESSIONS_READ,
    EventType.ADHERENCE_WEEKLY: Scope.STATS_READ,
}
# Only apps have connections and are told of an account's end: a person's own endpoints
# (which go with the account) may not subscribe to these.
APPS_ONLY = frozenset({EventType.CONNECTION_REVOKED, EventType.ACCOUNT_DELETED})
