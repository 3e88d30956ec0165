"""What a third-party app may do with a person's data: the OAuth2 scopes, what each says to
the person asked for it, and the scope each API operation needs.

A person's own clients (the JWTs of accounts.auth) may do whatever the person may. An app's
access token may do only what its scopes grant: each view says which scope each of its
operations needs (`app_scopes`, a ScopeRule), and an operation without one is for the
person's own clients only. A view that says nothing is therefore closed to apps."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hipflex_api.fields import HEALTH_DATA_SCOPE

# DRF's SAFE_METHODS, without importing DRF: the settings read this module.
_READS = ("GET", "HEAD", "OPTIONS")


class Scope(StrEnum):
    CATALOG_READ = "catalog:read"
    SESSIONS_READ = "sessions:read"
    SESSIONS_WRITE = "sessions:write"
    STATS_READ = "stats:read"
    PROFILE_READ = "profile:read"
    PAIN_READ = HEALTH_DATA_SCOPE


# What each scope lets an app do, in the words the consent page and the schema use.
SCOPE_TEXT: dict[Scope, str] = {
    Scope.CATALOG_READ: "See the exercise catalog and the routines you wrote for yourself.",
    Scope.SESSIONS_READ: (
        "See the sessions you log, with their sets, and the programs your trainers give you; "
        "not the pain you report."
    ),
    Scope.SESSIONS_WRITE: "Log sessions for you, and change or delete the sessions you logged.",
    Scope.STATS_READ: "See your statistics: totals, streaks, progress and adherence.",
    Scope.PROFILE_READ: "See your name, email address, time zone and preferred units.",
    Scope.PAIN_READ: (
        "See the pain you report in your sessions, by side. This is health data: it is asked "
        "for on its own, and you may connect the app without it."
    ),
}

# Health data: asked for apart, never granted with the rest by default.
HEALTH_SCOPES = frozenset({Scope.PAIN_READ})
# The scopes' names, and what each says: the toolkit's setting, the schema's, forms' choices.
SCOPE_NAMES = [scope.value for scope in Scope]
SCOPES = {scope.value: text for scope, text in SCOPE_TEXT.items()}


Needed = Scope | tuple[Scope, ...] | None


@dataclass(frozen=True)
class ScopeRule:
    """The scopes an app's token needs for a view's operations: `read` for the safe methods,
    `write` for the others, and `actions` for a view's actions that differ; a tuple when it
    needs several. None: the person's own clients only."""

    read: Needed = None
    write: Needed = None
    actions: Mapping[str, Needed] = field(default_factory=dict)

    def scopes_for(self, action: str | None, method: str) -> tuple[Scope, ...] | None:
        if action is not None and action in self.actions:
            needed = self.actions[action]
        else:
            needed = self.read if method in _READS else self.write
        return (needed,) if isinstance(needed, Scope) else needed


FIRST_PARTY_ONLY = ScopeRule()


def scope_needed(view: Any, method: str) -> tuple[Scope, ...] | None:
    """The scopes an app's token needs to call this view with this method, or None when no
    scope opens it to apps."""
    rule: ScopeRule = getattr(view, "app_scopes", FIRST_PARTY_ONLY)
    return rule.scopes_for(getattr(view, "action", None), method)
