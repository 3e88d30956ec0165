"""Every endpoint the router serves, and one user's private data to call each with: the
builders of the tests derived from the router (access control, app scopes)."""

from drf_spectacular.generators import EndpointEnumerator

from hipflex_api.accounts.services import personal_token_create
from tests.conftest import trainers_group
from tests.factories import (
    AppFactory,
    AssignmentItemFactory,
    CoachingInvitationFactory,
    CoachingLinkFactory,
    DeliveryFactory,
    EndpointFactory,
    ExerciseFactory,
    ExerciseMediaFactory,
    RoutineItemFactory,
    SetLogFactory,
    UserFactory,
    WorkoutSessionFactory,
    app_token,
)

# API endpoints outside /api/v1/: the probes, which sit where orchestrators look for them.
# (/metrics is no DRF view; tests/ops/test_metrics.py checks that it refuses callers.)
OUTSIDE_PREFIX = ("/healthz", "/readyz")
# Paths only trainers may use, each for their own invitations and clients.
COACHING = "/api/v1/coaching/"


def _endpoints():
    for path, _regex, method, _view in EndpointEnumerator().get_api_endpoints():
        if path.startswith("/api/v1/") or path in OUTSIDE_PREFIX:
            yield method, path


ENDPOINTS = sorted(_endpoints())


def private_data():
    """One user's private data: a session with a set, a private routine, a trainer who
    coaches her and prescribes her a program, and that trainer's open invitation."""
    alice = UserFactory()
    exercise = ExerciseFactory(name="King Runner", unilateral=True)
    session = SetLogFactory(
        session=WorkoutSessionFactory(user=alice, notes="alice-private-note"),
        exercise=exercise,
    ).session
    routine = RoutineItemFactory(
        routine__owner=alice, routine__name="alice-private-routine", exercise=exercise
    ).routine
    media = ExerciseMediaFactory(exercise=exercise)
    # Tess coaches Alice, and has an invitation out.
    tess = UserFactory(is_staff=True)
    tess.groups.add(trainers_group())
    link = CoachingLinkFactory(trainer=tess, client=alice)
    # Tess prescribes Alice a program.
    assignment = AssignmentItemFactory(assignment__link=link, exercise=exercise).assignment
    # Alice connected an app, and made a token for a script of hers.
    app = AppFactory()
    app_token(alice, "sessions:read", app=app)
    personal_token, _ = personal_token_create(
        user=alice, name="alice-private-script", scopes=["stats:read"], days=30
    )
    # Her script hears of her sessions at a URL of hers, and was sent one.
    webhook = EndpointFactory(user=alice, description="alice-private-hook")
    delivery = DeliveryFactory(endpoint=webhook, event__user=alice)
    return {
        "user": alice,
        "trainer": tess,
        "session": session,
        "routine": routine,
        "exercise": exercise,
        "media": media,
        "link": link,
        "assignment": assignment,
        "invitation": CoachingInvitationFactory(trainer=tess),
        "app": app,
        "personal_token": personal_token,
        "webhook": webhook,
        "delivery": delivery,
    }


def endpoint_url(path, data):
    """The path with its parameters naming `data`'s rows."""
    if path.startswith("/api/v1/coaching/invitations/"):
        ids = {"{id}": data["invitation"].pk}
    elif "/assignments/" in path:
        ids = {"{id}": data["assignment"].pk, "{client_id}": data["link"].pk}
    elif path.startswith("/api/v1/me/connections/"):
        ids = {"{id}": data["app"].pk}
    elif path.startswith("/api/v1/me/tokens/"):
        ids = {"{id}": data["personal_token"].pk}
    elif path.startswith("/api/v1/webhooks/{endpoint_id}/"):
        ids = {"{id}": data["delivery"].pk, "{endpoint_id}": data["webhook"].pk}
    elif path.startswith("/api/v1/webhooks/"):
        ids = {"{id}": data["webhook"].pk}
    elif path.startswith(("/api/v1/coaching/clients/", "/api/v1/me/trainers/")):
        ids = {"{id}": data["link"].pk, "{client_id}": data["link"].pk}
    else:
        ids = {"{id}": data["session"].pk}
    ids |= {"{pk}": data["routine"].pk, "{slug}": data["exercise"].slug}
    ids["{media_id}"] = data["media"].pk
    for name, value in ids.items():
        path = path.replace(name, str(value))
    return path


def owner(path, data):
    """Whose data the path serves: the trainer's on coaching paths, else Alice's."""
    return data["trainer"] if path.startswith(COACHING) else data["user"]


def call(client, method, url, body=None):
    return getattr(client, method.lower())(url, body or {}, format="json")
