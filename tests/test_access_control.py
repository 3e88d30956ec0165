"""Access control, derived from the URL router so that a new endpoint cannot slip past it.

Every endpoint the router serves is listed by drf-spectacular's own enumerator. Each must be
classified below; an unclassified one fails the suite until someone decides who may use it.
"""

import pytest
from oauth2_provider.models import AccessToken

from tests.conftest import api_client_for
from tests.endpoints import (
    COACHING,
    ENDPOINTS,
    call,
    endpoint_url,
    owner,
    private_data,
)
from tests.helpers import body_of

pytestmark = pytest.mark.django_db

# Endpoints anyone may call without an account, and why.
PUBLIC = {
    ("GET", "/api/v1/"): "the index links routes, the same for everyone; it shows no data",
    ("GET", "/api/v1/exercises/"): "the catalog is public",
    ("GET", "/api/v1/exercises/{slug}/"): "the catalog is public",
    ("GET", "/api/v1/muscles/"): "the catalog is public",
    ("GET", "/api/v1/muscles/{slug}/"): "the catalog is public",
    ("GET", "/api/v1/equipment/"): "the catalog is public",
    ("GET", "/api/v1/equipment/{slug}/"): "the catalog is public",
    ("GET", "/api/v1/routines/"): "published curated routines are public",
    ("GET", "/api/v1/routines/{pk}/"): "published curated routines are public",
    ("POST", "/api/v1/auth/register/"): "how an account starts",
    ("POST", "/api/v1/auth/token/"): "how a login starts",
    ("POST", "/api/v1/auth/token/refresh/"): "the refresh token is the credential",
    ("POST", "/api/v1/auth/logout/"): "the refresh token is the credential",
    ("POST", "/api/v1/auth/password-reset/"): "how a person locked out gets back in",
    ("POST", "/api/v1/auth/password-reset/confirm/"): "the mailed token is the credential",
    ("POST", "/api/v1/auth/verify-email/"): "the mailed token is the credential",
    ("POST", "/api/v1/auth/verify-email/resend/"): "a person who cannot log in yet asks for it",
    ("GET", "/healthz"): "load balancers probe it without credentials; it shows no data",
    ("GET", "/readyz"): "load balancers probe it without credentials; it names no host",
}
# Path parameters naming one user's own data: another user must get 404, as if it were not.
OWNED = {
    "/api/v1/sessions/{id}/": "session",
    "/api/v1/routines/{pk}/": "routine",
    "/api/v1/me/trainers/{id}/": "link",
    "/api/v1/me/assignments/{id}/": "assignment",
    "/api/v1/me/connections/{id}/": "connection",
    "/api/v1/me/tokens/{id}/": "personal token",
    "/api/v1/webhooks/{id}/": "webhook endpoint",
    "/api/v1/webhooks/{endpoint_id}/": "webhook endpoint's delivery",
}
# Coaching paths (COACHING): anyone but a trainer is refused (403), another trainer finds
# nothing (404).
# Coaching endpoints that name the client in the body, not the path: what they are sent.
NAMED_IN_BODY = {
    "/api/v1/coaching/review/acknowledge/": lambda data: {
        "client": str(data["link"].pk),
        "reason": "pain",
    },
}
# Path parameters naming shared catalog content: others may read it, only trainers write it.
SHARED = ("/api/v1/exercises/{slug}/", "/api/v1/muscles/{slug}/", "/api/v1/equipment/{slug}/")


@pytest.fixture
def alice_data(db):
    return private_data()


def _owned_kind(path):
    return next((kind for prefix, kind in OWNED.items() if path.startswith(prefix)), None)


def _stands(data):
    """Whether Alice's private data is as it was: her session, routine, link, program and
    Tess's invitation."""
    session, routine, link = data["session"], data["routine"], data["link"]
    assignment = data["assignment"]
    for row in (session, routine, link, assignment):
        row.refresh_from_db()
    return (
        session.notes,
        session.version,
        type(session).objects.count(),
        routine.name,
        routine.items.count(),
        link.ended_at,
        assignment.version,
        assignment.deleted_at,
        type(data["invitation"]).objects.filter(pk=data["invitation"].pk).exists(),
        AccessToken.objects.filter(application=data["app"]).count(),
        type(data["personal_token"]).objects.filter(pk=data["personal_token"].pk).exists(),
        _webhook(data),
    )


def _webhook(data):
    endpoint, delivery = data["webhook"], data["delivery"]
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    return (endpoint.secret, endpoint.description, endpoint.events, delivery.attempts)


def test_every_endpoint_is_classified():
    for method, path in ENDPOINTS:
        if (method, path) in PUBLIC or "{" not in path:
            continue
        assert _owned_kind(path) or path.startswith((*SHARED, COACHING)), (
            f"{method} {path}: say in this test whose data it serves"
        )


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_callers_get_401_on_everything_private(api_client, alice_data, method, path):
    response = call(api_client, method, endpoint_url(path, alice_data))
    if (method, path) in PUBLIC:
        assert response.status_code != 401, PUBLIC[(method, path)]
    else:
        assert response.status_code == 401, response.content
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in ENDPOINTS if _owned_kind(p)])
def test_another_users_private_data_is_404_on_every_method(user_client, alice_data, method, path):
    before = _stands(alice_data)

    response = call(user_client, method, endpoint_url(path, alice_data))

    assert response.status_code == 404, response.content
    assert _stands(alice_data) == before


@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for m, p in ENDPOINTS if p.startswith(COACHING)]
)
def test_only_trainers_reach_coaching_and_only_their_own(
    user_client, trainer_client, alice_data, method, path
):
    before = _stands(alice_data)
    alice = api_client_for(alice_data["user"])  # Tess's client, on her trainer's side.

    named = NAMED_IN_BODY.get(path)
    body = named(alice_data) if named else None
    for client in (user_client, alice):
        response = call(client, method, endpoint_url(path, alice_data), body)
        assert response.status_code == 403, response.content
    another_trainer = call(trainer_client, method, endpoint_url(path, alice_data), body)
    if "{" in path or named:
        assert another_trainer.status_code == 404, another_trainer.content
    else:
        assert another_trainer.status_code in {200, 201}, another_trainer.content
        body = body_of(another_trainer).decode()
        assert str(alice_data["link"].pk) not in body
        assert alice_data["user"].email not in body
    assert _stands(alice_data) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p in ENDPOINTS if p.startswith(f"{COACHING}clients/{{")],
)
def test_a_trainer_whose_link_ended_gets_404_for_everything_of_the_client(alice_data, method, path):
    alice_data["link"].ended_at, alice_data["link"].ended_by = (
        alice_data["link"].started_at,
        "client",
    )
    alice_data["link"].save()

    response = call(api_client_for(alice_data["trainer"]), method, endpoint_url(path, alice_data))

    assert response.status_code == 404, response.content


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p in ENDPOINTS if p.startswith(SHARED) and m not in {"GET"}],
)
def test_plain_users_may_not_write_shared_catalog_content(user_client, alice_data, method, path):
    response = call(user_client, method, endpoint_url(path, alice_data))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p in ENDPOINTS if m == "GET" and "{" not in p and not p.startswith(COACHING)],
)
def test_no_list_feed_export_or_stats_shows_another_users_rows(
    user_client, alice_data, method, path
):
    response = user_client.get(path)
    assert response.status_code == 200
    body = body_of(response).decode()
    assert str(alice_data["session"].pk) not in body
    assert "alice-private" not in body


@pytest.mark.parametrize("path", sorted({p for _, p in ENDPOINTS}))
def test_options_describes_every_endpoint_to_its_owner(alice_data, path):
    # DRF answers OPTIONS from the view's serializer: a view without one would answer 500.
    client = api_client_for(owner(path, alice_data))
    response = client.options(endpoint_url(path, alice_data))
    assert response.status_code == 200, response.content
    assert response.json()["name"]


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p in ENDPOINTS if m == "GET" and (p.startswith(COACHING) or _owned_kind(p))],
)
def test_the_owner_reads_every_private_page_the_others_are_refused(alice_data, method, path):
    # Alice reads her own; Tess, her trainer, reads what Alice shares with her.
    response = api_client_for(owner(path, alice_data)).get(endpoint_url(path, alice_data))

    assert response.status_code == 200, response.content
