"""Every operation against an app's token, derived from the router and the schema, so that
a new endpoint cannot slip past the scopes: each refuses a token without the scope its
schema names (403 insufficient_scope, naming it) and takes one with it; an operation whose
schema names no scope is for the person's own clients and refuses every app token."""

from functools import cache
from pathlib import Path

import pytest
import yaml

from hipflex_api.accounts.scopes import Scope
from tests.conftest import bearer
from tests.endpoints import ENDPOINTS, call, endpoint_url, owner, private_data
from tests.factories import SetLogFactory, app_token
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

API = [(method, path) for method, path in ENDPOINTS if path.startswith("/api/v1/")]


@cache
def _schema():
    return yaml.safe_load(Path("openapi.yaml").read_text())


def _security(method, path):
    # The schema names a primary key `id` where the router says `pk`.
    return _schema()["paths"][path.replace("{pk}", "{id}")][method.lower()]["security"]


def _app_scopes(method, path):
    """The scopes the schema says an app's token needs for the operation, or None."""
    for requirement in _security(method, path):
        if "appOAuth" in requirement:
            return requirement["appOAuth"]
    return None


def test_the_schema_names_a_scope_for_what_apps_are_for():
    scopes = {(m, p): _app_scopes(m, p) for m, p in API}

    assert scopes[("GET", "/api/v1/sessions/")] == ["sessions:read"]
    assert scopes[("POST", "/api/v1/sessions/")] == ["sessions:write"]
    assert scopes[("GET", "/api/v1/me/stats/")] == ["stats:read"]
    assert scopes[("GET", "/api/v1/me/")] == ["profile:read"]
    assert scopes[("GET", "/api/v1/exercises/")] == ["catalog:read"]
    # Advice, and a start that plans from it, are read from the pain reported.
    assert scopes[("GET", "/api/v1/exercises/{slug}/advice/")] == ["pain:read"]
    assert scopes[("POST", "/api/v1/routines/{pk}/start/")] == ["sessions:write", "pain:read"]
    for first_party in [
        ("DELETE", "/api/v1/me/"),
        ("GET", "/api/v1/me/export/"),
        ("POST", "/api/v1/exercises/"),
        ("GET", "/api/v1/coaching/clients/"),
    ]:
        assert scopes[first_party] is None, first_party
    assert {s for listed in scopes.values() for s in listed or [None]} == {*Scope, None}
    # What takes no credentials at all ignores an app's token as any other.
    assert _security("POST", "/api/v1/auth/register/") == [{}]


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in API if _security(m, p) != [{}]])
def test_an_app_token_reaches_an_operation_only_with_its_scope(method, path):
    data = private_data()
    user, url, scopes = owner(path, data), endpoint_url(path, data), _app_scopes(method, path)
    if scopes is None:
        refused = call(bearer(app_token(user, *Scope)), method, url)
        assert assert_error(refused, 403, "first_party_only")
        return
    for scope in scopes:  # Each one it needs, missing.
        every_other = [s for s in Scope if s != scope]

        refused = call(bearer(app_token(user, *every_other)), method, url)

        assert assert_error(refused, 403, "insufficient_scope")
        assert f"`{scope}`" in refused.json()["detail"]
    granted = call(bearer(app_token(user, *scopes)), method, url)
    assert granted.status_code not in {401, 403}, granted.content


def _left_out_for_apps():
    """The health data fields the schema says an app's answers may leave out."""
    return {
        name
        for component in _schema()["components"]["schemas"].values()
        for name, prop in component.get("properties", {}).items()
        if prop.get("x-health-data") and name not in component.get("required", [])
    }


def _keys(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        (m, p)
        for m, p in API
        if m == "GET"
        and _security(m, p) != [{}]
        and "pain:read" not in (_app_scopes(m, p) or ["pain:read"])
    ],
)
def test_an_app_without_pain_read_gets_no_health_data(method, path):
    data = private_data()
    SetLogFactory(session=data["session"], position=1, pain=6, side="left")
    url, scopes = endpoint_url(path, data), _app_scopes(method, path)

    answer = call(bearer(app_token(owner(path, data), *scopes)), method, url)
    full = call(bearer(app_token(owner(path, data), *scopes, "pain:read")), method, url)

    # (A muscle or piece of equipment named by the exercise's slug is a 404 to both.)
    assert answer.status_code == full.status_code, answer.content
    assert not set(_keys(answer.json())) & _left_out_for_apps(), answer.json()
    if path in {"/api/v1/sessions/", "/api/v1/sync/", "/api/v1/me/stats/"}:
        assert set(_keys(full.json())) & _left_out_for_apps()  # The same, granted pain.
