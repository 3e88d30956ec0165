"""The trainer-client link: a trainer's invitation code, the client's consent by redeeming it,
and either side ending it, after which the trainer sees nothing of the client."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from hipflex_api.accounts.auth import user_with_versions
from hipflex_api.accounts.models import CoachingInvitation, CoachingLink, User
from hipflex_api.accounts.permissions import COACH_PERMISSION
from tests.conftest import a_set, api_client_for, bearer, trainers_group, upload_session
from tests.factories import (
    CoachingInvitationFactory,
    CoachingLinkFactory,
    ExerciseFactory,
    UserFactory,
)
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

INVITATIONS_URL = "/api/v1/coaching/invitations/"
MY_TRAINERS_URL = "/api/v1/me/trainers/"
CLIENTS_URL = "/api/v1/coaching/clients/"
# Two groups of four from Crockford's base 32: no I, L, O or U to misread.
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def _invite(trainer_client):
    response = trainer_client.post(INVITATIONS_URL, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _redeem(client, code):
    return client.post(MY_TRAINERS_URL, {"code": code}, format="json")


def _code_error(response):
    body = assert_error(response, 400, "invalid")
    (error,) = body["errors"]
    assert error["field"] == "code"
    return error["code"]


@pytest.fixture
def linked(trainer, trainer_client, user, user_client):
    """`user` has redeemed `trainer`'s invitation: the link's answer."""
    response = _redeem(user_client, _invite(trainer_client)["code"])
    assert response.status_code == 201, response.content
    return response.json()


def test_a_trainer_invites_with_a_code_easy_to_read_aloud(trainer_client):
    before = timezone.now()

    invitation = _invite(trainer_client)

    assert CODE.match(invitation["code"])
    expires = timezone.datetime.fromisoformat(invitation["expires_at"])
    assert timedelta(days=7) <= expires - before < timedelta(days=7, minutes=1)
    listed = trainer_client.get(INVITATIONS_URL).json()["results"]
    assert [item["id"] for item in listed] == [invitation["id"]]
    assert listed[0]["code"] is None  # Shown once; only its keyed digest is stored.
    assert invitation["code"] not in CoachingInvitation.objects.get().digest


def test_only_trainers_may_invite_or_see_clients(user_client):
    for response in (
        user_client.post(INVITATIONS_URL, format="json"),
        user_client.get(INVITATIONS_URL),
        user_client.get(CLIENTS_URL),
    ):
        assert_error(response, 403, "permission_denied")
    assert not CoachingInvitation.objects.exists()


def test_redeeming_a_code_shares_the_log_and_says_so_plainly(trainer, linked, user, trainer_client):
    trainer_name = trainer.get_full_name()
    assert linked["trainer_name"] == trainer_name
    assert linked["shares"] == ["sessions", "pain"]
    assert trainer_name in linked["notice"]
    assert "sessions" in linked["notice"]
    assert "pain" in linked["notice"]
    clients = trainer_client.get(CLIENTS_URL).json()["results"]
    assert [(c["id"], c["email"]) for c in clients] == [(linked["id"], user.email)]
    # The code is spent: the trainer's open invitations no longer hold it.
    assert trainer_client.get(INVITATIONS_URL).json()["results"] == []


def test_a_code_is_read_as_typed_in_any_case_without_its_dash(trainer_client, user_client):
    code = _invite(trainer_client)["code"]
    typed = f" {code.replace('-', '').lower().replace('0', 'o').replace('1', 'l')} "

    response = _redeem(user_client, typed)

    assert response.status_code == 201, response.content


def test_a_retried_redemption_gets_the_standing_link(trainer_client, user_client):
    code = _invite(trainer_client)["code"]
    first = _redeem(user_client, code)

    again = _redeem(user_client, code)

    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert CoachingLink.objects.count() == 1


def test_a_used_code_is_refused_to_anyone_else(trainer_client, user_client, other_client):
    code = _invite(trainer_client)["code"]
    _redeem(user_client, code)

    assert _code_error(_redeem(other_client, code)) == "invitation_used"
    assert CoachingLink.objects.count() == 1


def test_an_expired_code_is_refused(trainer_client, user_client):
    code = _invite(trainer_client)["code"]

    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        response = _redeem(user_client, code)

    assert _code_error(response) == "invitation_expired"
    assert not CoachingLink.objects.exists()


def test_unknown_own_and_malformed_codes_each_say_why(trainer_client, user_client):
    own = _invite(trainer_client)["code"]

    assert _code_error(_redeem(user_client, "ABCD-EFGH")) == "invitation_unknown"
    assert _code_error(_redeem(trainer_client, own)) == "invitation_own"
    assert _code_error(_redeem(user_client, "not-a-code!")) == "invalid"
    assert _code_error(_redeem(user_client, "ABCD-EFGU")) == "invalid"  # No U in the alphabet.
    assert not CoachingLink.objects.exists()


def test_a_code_from_someone_who_no_longer_coaches_is_refused(trainer, trainer_client, user_client):
    code = _invite(trainer_client)["code"]
    trainer.groups.clear()

    assert _code_error(_redeem(user_client, code)) == "invitation_unknown"


def test_guessing_codes_is_throttled_per_account(user_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "invitation_code", "3/hour")
    for _ in range(3):
        assert _code_error(_redeem(user_client, "ABCD-EFGH")) == "invitation_unknown"

    response = _redeem(user_client, "ABCD-EFGJ")

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_guessing_from_new_accounts_is_throttled_per_client_address(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "invitation_code_ip", "3/hour")
    for _ in range(3):
        _redeem(api_client_for(UserFactory()), "ABCD-EFGH")

    assert_error(_redeem(api_client_for(UserFactory()), "ABCD-EFGH"), 429, "throttled")


def test_good_codes_are_not_counted_as_guesses(trainer_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "invitation_code_ip", "2/hour")
    for _ in range(3):
        response = _redeem(api_client_for(UserFactory()), _invite(trainer_client)["code"])
        assert response.status_code == 201, response.content


def test_a_client_ends_the_link_and_the_trainer_sees_nothing_of_them(
    linked, user_client, trainer_client, user
):
    exercise = ExerciseFactory()
    upload_session(user_client, exercise)
    client_url = f"{CLIENTS_URL}{linked['id']}/"
    assert trainer_client.get(f"{client_url}sessions/").json()["results"]

    response = user_client.delete(f"{MY_TRAINERS_URL}{linked['id']}/")

    assert response.status_code == 204
    for answer in (
        trainer_client.get(client_url),
        trainer_client.get(f"{client_url}sessions/"),
        trainer_client.delete(client_url),
    ):
        assert_error(answer, 404, "not_found")
    assert trainer_client.get(CLIENTS_URL).json()["results"] == []
    assert user_client.get(MY_TRAINERS_URL).json()["results"] == []
    assert_error(user_client.get(f"{MY_TRAINERS_URL}{linked['id']}/"), 404, "not_found")
    # A retry whose first answer was lost finds its work done.
    assert user_client.delete(f"{MY_TRAINERS_URL}{linked['id']}/").status_code == 204
    link = CoachingLink.objects.get()
    assert (link.ended_by, link.client) == ("client", user)


def test_a_trainer_ends_the_link_too(linked, user_client, trainer_client):
    response = trainer_client.delete(f"{CLIENTS_URL}{linked['id']}/")

    assert response.status_code == 204
    assert user_client.get(MY_TRAINERS_URL).json()["results"] == []
    assert CoachingLink.objects.get().ended_by == "trainer"


def test_a_new_invitation_after_an_ended_link_makes_a_new_id(linked, user_client, trainer_client):
    user_client.delete(f"{MY_TRAINERS_URL}{linked['id']}/")

    again = _redeem(user_client, _invite(trainer_client)["code"])

    assert again.status_code == 201
    assert again.json()["id"] != linked["id"]
    assert_error(trainer_client.get(f"{CLIENTS_URL}{linked['id']}/"), 404, "not_found")
    assert trainer_client.get(f"{CLIENTS_URL}{again.json()['id']}/").status_code == 200


def test_the_trainer_reads_the_clients_sessions_with_their_pain(
    linked, user_client, trainer_client
):
    exercise = ExerciseFactory(unilateral=True)
    uploaded = upload_session(user_client, exercise, sets=[a_set(exercise, pain=3)])
    upload_session(api_client_for(UserFactory()), exercise)  # Someone else's, never shown.

    sessions = trainer_client.get(f"{CLIENTS_URL}{linked['id']}/sessions/").json()["results"]

    assert [s["id"] for s in sessions] == [uploaded]
    assert sessions[0]["sets"][0]["pain"] == 3


def test_another_trainer_gets_404_for_someone_elses_client(linked, trainer):
    other_trainer = UserFactory(is_staff=True)
    other_trainer.groups.set(trainer.groups.all())
    other = api_client_for(other_trainer)
    client_url = f"{CLIENTS_URL}{linked['id']}/"

    for answer in (
        other.get(client_url),
        other.get(f"{client_url}sessions/"),
        other.delete(client_url),
    ):
        assert_error(answer, 404, "not_found")
    assert other.get(CLIENTS_URL).json()["results"] == []
    assert CoachingLink.objects.get().ended_at is None


def test_a_client_may_not_reach_their_trainers_side(linked, user_client):
    assert_error(user_client.get(f"{CLIENTS_URL}{linked['id']}/"), 403, "permission_denied")


def test_a_withdrawn_invitation_no_longer_works(trainer_client, user_client):
    invitation = _invite(trainer_client)

    assert trainer_client.delete(f"{INVITATIONS_URL}{invitation['id']}/").status_code == 204

    assert _code_error(_redeem(user_client, invitation["code"])) == "invitation_unknown"


def test_a_used_invitation_cannot_be_withdrawn(trainer_client, user_client):
    invitation = _invite(trainer_client)
    _redeem(user_client, invitation["code"])

    assert_error(trainer_client.delete(f"{INVITATIONS_URL}{invitation['id']}/"), 404, "not_found")


def test_open_invitations_are_limited(trainer_client, settings):
    settings.MAX_OPEN_INVITATIONS = 2
    _invite(trainer_client)
    _invite(trainer_client)

    response = trainer_client.post(INVITATIONS_URL, format="json")

    body = assert_error(response, 422, "unprocessable")
    assert "MAX_OPEN_INVITATIONS" in body["detail"]
    assert CoachingInvitation.objects.count() == 2


def test_a_clients_trainers_are_limited_and_the_code_is_kept(trainer, user, user_client, settings):
    settings.MAX_TRAINERS_PER_CLIENT = 1
    CoachingLinkFactory(client=user)
    invitation = CoachingInvitationFactory(trainer=trainer, code="7KQ2M9XD")

    body = assert_error(_redeem(user_client, "7KQ2-M9XD"), 422, "unprocessable")

    assert "MAX_TRAINERS_PER_CLIENT" in body["detail"]
    invitation.refresh_from_db()
    assert invitation.redeemed_at is None


def test_a_trainers_clients_are_limited(trainer, user_client, settings):
    settings.MAX_CLIENTS_PER_TRAINER = 1
    CoachingLinkFactory(trainer=trainer)
    CoachingInvitationFactory(trainer=trainer, code="7KQ2M9XD")

    body = assert_error(_redeem(user_client, "7KQ2-M9XD"), 422, "unprocessable")

    assert "MAX_CLIENTS_PER_TRAINER" in body["detail"]
    assert CoachingLink.objects.count() == 1


def test_an_ended_link_leaves_room_within_the_limit(trainer, user, user_client, settings):
    settings.MAX_TRAINERS_PER_CLIENT = 1
    now = timezone.now()
    CoachingLinkFactory(
        client=user, started_at=now - timedelta(days=1), ended_at=now, ended_by="client"
    )
    CoachingInvitationFactory(trainer=trainer, code="7KQ2M9XD")

    assert _redeem(user_client, "7KQ2-M9XD").status_code == 201


@pytest.mark.parametrize("deleted", ["client", "trainer"])
def test_deleting_either_account_ends_its_links(trainer, user, linked, deleted):
    (user if deleted == "client" else trainer).delete()

    assert not CoachingLink.objects.exists()


def test_the_database_refuses_a_second_standing_link_between_two_people(trainer, user):
    CoachingLinkFactory(trainer=trainer, client=user)
    with pytest.raises(IntegrityError):
        CoachingLinkFactory(trainer=trainer, client=user)


def test_the_database_refuses_a_trainer_as_their_own_client(trainer):
    with pytest.raises(IntegrityError):
        CoachingLinkFactory(trainer=trainer, client=trainer)


def test_the_client_list_costs_the_same_queries_for_one_client_or_many(
    trainer, trainer_client, django_assert_num_queries
):
    CoachingLinkFactory(trainer=trainer)
    trainer_client.get(CLIENTS_URL)  # The caller's permissions, read once and kept.
    cache.clear()
    # The change numbers the answer's version is made of; the page's count and its rows,
    # each with its client and last session; then their programs (none), pain and
    # acknowledgements (tests/sessions/test_review.py counts those of clients with programs).
    with django_assert_num_queries(6) as one:
        trainer_client.get(CLIENTS_URL)
    CoachingLinkFactory.create_batch(5, trainer=trainer)

    with django_assert_num_queries(len(one.captured_queries)):
        response = trainer_client.get(CLIENTS_URL)
    # Nothing changed since: the stored answer, after the version's query.
    with django_assert_num_queries(1):
        again = trainer_client.get(CLIENTS_URL)

    assert len(response.json()["results"]) == 6
    assert again.content == response.content


@pytest.mark.parametrize(
    ("how", "coaches"),
    [("trainers_group", True), ("given", True), ("superuser", True), ("neither", False)],
)
def test_the_coach_permission_read_with_the_sign_in_is_the_backends_answer(how, coaches):
    user = UserFactory(is_superuser=how == "superuser")
    coach = Permission.objects.get(content_type__app_label="accounts", codename="coach")
    if how == "trainers_group":
        user.groups.add(trainers_group())
    elif how == "given":
        user.user_permissions.add(coach)
    other = Group.objects.create(name="Others")  # A group without it changes nothing.
    user.groups.add(other)

    read = user_with_versions(user.pk, coaching=True)
    invited = bearer(RefreshToken.for_user(user).access_token).post(INVITATIONS_URL)

    assert read.can_coach is coaches
    assert User.objects.get(pk=user.pk).has_perm(COACH_PERMISSION) is coaches
    assert invited.status_code == (201 if coaches else 403)


def test_on_postgresql_the_sign_in_s_query_is_prepared_once_per_connection(
    postgresql_only, trainer, django_assert_num_queries, settings
):
    signed_in = bearer(RefreshToken.for_user(trainer).access_token)
    signed_in.get(CLIENTS_URL)
    with CaptureQueriesContext(connection) as read:
        again = signed_in.get(CLIENTS_URL)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        prepared = {name for (name,) in cursor.fetchall()}
    settings.DATABASE_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as plain:
        unprepared = signed_in.get(CLIENTS_URL)

    assert again.status_code == unprepared.status_code == 200
    assert again.content == unprepared.content
    [query] = read.captured_queries
    assert query["sql"].startswith("EXECUTE hipflex_user_with_versions_1 (")
    assert "hipflex_user_with_versions_1" in prepared
    [query] = plain.captured_queries
    assert query["sql"].startswith("SELECT ")
