"""Fixtures and builders that test modules in more than one folder share.

Builders are plain functions, imported by name (`from tests.conftest import session_body`);
fixtures are found by pytest.
"""

import base64
import io
import re

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from tests.factories import PASSWORD, ExerciseFactory, UserFactory
from tests.helpers import assert_error
from tests.servers import Inbox, Receiver, free_port, local_redis

# The API's addresses.

EXERCISES_URL = "/api/v1/exercises/"
ROUTINES_URL = "/api/v1/routines/"
SESSIONS_URL = "/api/v1/sessions/"
SYNC_URL = "/api/v1/sync/"
STATS_URL = "/api/v1/me/stats/"
ME_URL = "/api/v1/me/"
TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"

# A password that the validators accept, unlike the factories' own.
STRONG_PASSWORD = "violet-kettle-harbour-42"
REGISTER_URL = "/api/v1/auth/register/"
RESET_URL = "/api/v1/auth/password-reset/"
RESET_CONFIRM_URL = "/api/v1/auth/password-reset/confirm/"
VERIFY_URL = "/api/v1/auth/verify-email/"
RESEND_URL = "/api/v1/auth/verify-email/resend/"
EMAIL_CHANGE_URL = "/api/v1/me/email/"

_PASTED_CODE = re.compile(r"paste this code into the app: (\S+)")


def assert_invalid_token(response):
    """A 400 saying the mailed token cannot be used (spent, expired, or not ours)."""
    body = assert_error(response, 400, "invalid")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("token", "invalid_token")]


def token_in(message):
    """The token a mail tells its reader to paste (a Django EmailMessage or an email.Message)."""
    text = message.body if hasattr(message, "body") else message.get_body(("plain",)).get_content()
    found = _PASTED_CODE.search(text)
    assert found, text
    return found.group(1)


def login(email, password=PASSWORD, **extra):
    """POST the credentials to the token endpoint from a fresh client; the response."""
    return APIClient().post(TOKEN_URL, {"email": email, "password": password}, **extra)


def exercise_url(slug):
    return f"{EXERCISES_URL}{slug}/"


def advice_url(slug):
    return f"{exercise_url(slug)}advice/"


def routine_url(routine, action=""):
    """The routine's address, or that of one of its actions (`"start/"`, `"copy/"`)."""
    return f"{ROUTINES_URL}{routine.pk}/{action}"


def session_url(session_id):
    return f"{SESSIONS_URL}{session_id}/"


# Clients.


def api_client_for(user):
    """An API client that acts as `user` without a token."""
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def bearer(token):
    """An API client that sends `token` (a real access token, or anything posing as one)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def as_app(app, secret):
    """An API client that calls as the app itself, by its client id and secret (HTTP Basic)."""
    client = APIClient()
    pair = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {pair}")
    return client


def browser_for(user):
    """A browser logged in to the admin as `user`."""
    browser = Client()
    browser.force_login(user)
    return browser


# Workout sessions as a phone uploads them.


def an_image(image_format="JPEG", size=(640, 480), *, gps=False, orientation=None):
    """The bytes of a picture as a camera or an editor saves it: with GPS coordinates and an
    orientation in its EXIF when asked."""
    picture = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (48.0, 8.0, 30.0), 3: "E", 4: (11.0, 34.0, 10.0)}
    if orientation is not None:
        exif[0x0112] = orientation
    out = io.BytesIO()
    picture.save(out, format=image_format, exif=exif.tobytes())
    return out.getvalue()


def image_upload(content, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def a_set(exercise, /, **overrides):
    return {"exercise": exercise.slug, "side": "left", "reps": 10, **overrides}


def session_body(exercise, **overrides):
    """A valid upload: a morning session with a set of `exercise` on each side."""
    return {
        "started_at": "2025-03-01T07:00:00Z",
        "ended_at": "2025-03-01T07:25:00Z",
        "notes": "Morning hips.",
        "perceived_effort": 5,
        "sets": [a_set(exercise, side="left"), a_set(exercise, side="right")],
        **overrides,
    }


def upload_session(client, exercise, **overrides):
    """Upload `session_body(exercise, **overrides)` as a new session through the API; its id."""
    response = client.post(SESSIONS_URL, session_body(exercise, **overrides), format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher costs a tenth of a second per user; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def user_client(user):
    return api_client_for(user)


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def other_client(other_user):
    return api_client_for(other_user)


def trainers_group() -> Group:
    """The group that exercises' migrations 0002, 0007 and 0013 make, with every catalog
    permission and coaching's; made again after an earlier transactional test emptied the
    database."""
    group, created = Group.objects.get_or_create(name="Trainers")
    if created:
        group.permissions.set(
            Permission.objects.filter(
                Q(content_type__app_label="exercises")
                | Q(content_type__app_label="accounts", codename="coach")
            )
        )
    return group


@pytest.fixture
def king_runner(db):
    """The article's one-sided stretch, plainly: what most logging tests log."""
    return ExerciseFactory(name="King Runner", unilateral=True)


@pytest.fixture
def trainer(db):
    """A staff user in the "Trainers" group that migration 0002 fills with catalog permissions."""
    trainer = UserFactory(is_staff=True)
    trainer.groups.add(trainers_group())
    return trainer


@pytest.fixture
def trainer_client(trainer):
    return api_client_for(trainer)


@pytest.fixture
def trainer_browser(trainer):
    return browser_for(trainer)


@pytest.fixture
def postgresql_only():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time, so nothing can race there.")


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    # Cached answers and throttle counts: each test starts with none.
    from django.core.cache import caches

    stores = [caches["default"], caches[settings.COUNTERS_CACHE]]
    for store in stores:
        store.clear()
    yield
    for store in stores:
        store.clear()


@pytest.fixture(autouse=True)
def _fresh_catalog_version(settings):
    # Tests run inside transactions that never commit, so the on-commit forgetting of the
    # catalog version never runs: read the version afresh on every request instead.
    from hipflex_api.changes.counters import forget_catalog_version

    settings.CATALOG_VERSION_SECONDS = 0
    forget_catalog_version()


@pytest.fixture
def mailed(django_capture_on_commit_callbacks, mailoutbox):
    """Make a request as the server runs it: the jobs it enqueues run once its transaction
    commits (in the process, as without a broker), so its mail lands in `mailoutbox`."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture(scope="session")
def smtp_server():
    """An SMTP server in this process, for the workers and servers the tests start."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def receiver():
    """A webhook receiver on loopback (the development profile allows http there)."""
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """The base URL of a Redis to use (database numbers are the tests' to pick)."""
    url, private = local_redis(tmp_path_factory.mktemp("redis"))
    yield url
    if private is not None:
        private.stop()


@pytest.fixture(autouse=True)
def _error_codes_outside_the_schema(request):
    """Forget the error answers of a test that configures the server beyond its schema."""
    from tests.error_codes import RECORDED

    if not request.node.get_closest_marker("settings_beyond_the_schema"):
        yield
        return
    before = set(RECORDED)
    yield
    RECORDED.intersection_update(before)


def pytest_sessionfinish(session, exitstatus):
    """Fail the run when an error answer carried a code its operation's schema does not list."""
    from tests import error_codes

    missing = error_codes.undocumented(error_codes.RECORDED)
    if missing and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(
            "Error codes the suite got that openapi.yaml does not list for their operation "
            "(name them with hipflex_api.schema.ErrorResponse):",
            red=True,
        )
        for line in missing:
            reporter.write_line(f"  {line}", red=True)
        session.exitstatus = 1
