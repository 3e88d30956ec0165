"""How much mail one address gets: a few per client asking, a few more in all, then none,
with the same answer, so that no one can fill an inbox, lock a person out, or learn anything."""

import pytest

from tests.conftest import (
    EMAIL_CHANGE_URL,
    REGISTER_URL,
    RESEND_URL,
    RESET_URL,
    STRONG_PASSWORD,
    api_client_for,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TARGET = "ann@example.com"
PER_CLIENT, IN_ALL = 3, 20


def _register(client, ip):
    return client.post(REGISTER_URL, {"email": TARGET, "password": STRONG_PASSWORD}, REMOTE_ADDR=ip)


def _reset(client, ip):
    return client.post(RESET_URL, {"email": TARGET}, REMOTE_ADDR=ip)


def _resend(client, ip):
    return client.post(RESEND_URL, {"email": TARGET}, REMOTE_ADDR=ip)


def _change(client, ip):
    # A different account each time: one account's own changes have a limit of their own.
    body = {"new_email": TARGET, "password": PASSWORD}
    return api_client_for(UserFactory()).post(EMAIL_CHANGE_URL, body, REMOTE_ADDR=ip)


ASKS = {"register": _register, "reset": _reset, "resend": _resend, "change": _change}


@pytest.fixture
def target(db):
    return UserFactory(email=TARGET)  # Unconfirmed, so that every kind mails it.


def _mails_to_target(mailoutbox):
    return sum(message.to == [TARGET] for message in mailoutbox)


@pytest.mark.parametrize("kind", ASKS)
def test_past_its_share_a_client_gets_the_same_answer_and_the_address_no_mail(
    kind, target, api_client, mailed, mailoutbox
):
    ask = ASKS[kind]
    answers = [mailed(ask, api_client, "198.51.100.1") for _ in range(PER_CLIENT + 1)]

    assert {(a.status_code, a.content) for a in answers} == {(202, answers[0].content)}
    assert _mails_to_target(mailoutbox) == PER_CLIENT
    # The person, asking from their own phone, still gets theirs.
    mailed(ask, api_client, "203.0.113.9")
    assert _mails_to_target(mailoutbox) == PER_CLIENT + 1


@pytest.mark.parametrize("kind", ASKS)
def test_an_address_gets_a_bounded_share_in_all(kind, target, api_client, mailed, mailoutbox):
    ask = ASKS[kind]
    for n in range(IN_ALL + 5):
        assert mailed(ask, api_client, f"10.0.{n}.1").status_code == 202

    assert _mails_to_target(mailoutbox) == IN_ALL


def test_each_kind_of_mail_has_its_own_share(target, api_client, mailed, mailoutbox):
    for _ in range(PER_CLIENT + 1):
        mailed(_reset, api_client, "198.51.100.1")
    mailoutbox.clear()

    mailed(_resend, api_client, "198.51.100.1")

    assert _mails_to_target(mailoutbox) == 1


def test_a_refused_request_uses_no_share(target, api_client, mailed, mailoutbox):
    for _ in range(PER_CLIENT + 2):
        weak = {"email": TARGET, "password": "password"}
        assert api_client.post(REGISTER_URL, weak, REMOTE_ADDR="198.51.100.1").status_code == 400

    mailed(_register, api_client, "198.51.100.1")

    assert _mails_to_target(mailoutbox) == 1
