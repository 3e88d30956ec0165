"""Signing in to the admin: wrong passwords are counted per account and address, as the
API's login counts them, and staff who have an authenticator app are asked for its code."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.throttling import SimpleRateThrottle

from tests.conftest import STRONG_PASSWORD, login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/admin/login/"
INDEX_URL = "/admin/"


@pytest.fixture
def staff(trainer):
    trainer.set_password(STRONG_PASSWORD)
    trainer.save()
    return trainer


def sign_in(client: Client, email: str, password: str, code: str = ""):
    return client.post(
        f"{LOGIN_URL}?next={INDEX_URL}",
        {"username": email, "password": password, "otp_token": code},
    )


def signed_in(client: Client) -> bool:
    return client.get(INDEX_URL).status_code == 200


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_the_right_password_signs_a_trainer_in(staff, client):
    response = sign_in(client, staff.email, STRONG_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == INDEX_URL
    assert signed_in(client)


def test_the_sign_in_page_offers_the_authenticator_code_and_no_link_to_the_api(client):
    html = client.get(LOGIN_URL).content.decode()

    assert "Code from your authenticator app" in html
    assert 'autocomplete="one-time-code"' in html
    assert "View site" not in html


def test_five_wrong_passwords_pause_that_account_from_that_address_only(staff, settings):
    guesser, owner = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.4")

    wrong = [sign_in(guesser, staff.email, f"guess-{n}") for n in range(5)]
    # The sixth try is refused even with the right password: the count comes first.
    paused = sign_in(guesser, staff.email.upper(), STRONG_PASSWORD)

    for response in wrong:
        assert "Please enter the correct" in response.content.decode()
    html = paused.content.decode()
    assert paused.status_code == 200
    assert "Too many wrong passwords for this account from this computer" in html
    assert "Try again in 60 minutes" in html
    assert not signed_in(guesser)
    # Its owner elsewhere still gets in, and another account from the guesser's address too.
    assert sign_in(owner, staff.email, STRONG_PASSWORD).status_code == 302
    other = UserFactory(is_staff=True)
    other.set_password(STRONG_PASSWORD)
    other.save()
    assert sign_in(guesser, other.email, STRONG_PASSWORD).status_code == 302


def test_wrong_passwords_from_many_addresses_pause_the_account_everywhere(staff, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "admin_login_account", "3/hour")
    for n in range(3):
        sign_in(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), staff.email, "wrong-guess")

    response = sign_in(Client(REMOTE_ADDR="198.51.100.4"), staff.email, STRONG_PASSWORD)

    assert "Too many wrong passwords" in response.content.decode()


def test_signing_in_counts_apart_from_the_api_login(staff, client):
    for n in range(5):
        sign_in(client, staff.email, f"guess-{n}")

    api = login(staff.email, STRONG_PASSWORD)

    assert api.status_code == 200  # The phone app's login has its own, looser count.


def test_a_trainer_with_an_authenticator_is_asked_for_its_code(staff, client):
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)

    without = sign_in(client, staff.email, STRONG_PASSWORD)
    wrong = sign_in(client, staff.email, STRONG_PASSWORD, "000000")

    assert "Enter the code your authenticator app shows" in without.content.decode()
    assert "That code is not right or has expired" in wrong.content.decode()
    assert not signed_in(client)
    device.refresh_from_db()
    device.throttling_failure_count = 0  # django-otp's own pause after a wrong code.
    device.throttling_failure_timestamp = None
    device.save()
    assert sign_in(client, staff.email, STRONG_PASSWORD, current_code(device)).status_code == 302
    assert signed_in(client)


def test_an_authenticator_code_is_no_way_around_the_password(staff, client):
    device = TOTPDevice.objects.create(user=staff, name="Phone", confirmed=True)

    response = sign_in(client, staff.email, "wrong-guess", current_code(device))

    assert "Please enter the correct" in response.content.decode()
    assert not signed_in(client)


def test_a_server_that_asks_everyone_refuses_staff_without_an_authenticator(
    staff, client, settings
):
    settings.ADMIN_REQUIRE_OTP = True

    response = sign_in(client, staff.email, STRONG_PASSWORD)

    assert "yours has none yet" in response.content.decode()
    assert not signed_in(client)


def test_a_one_time_code_from_an_administrator_lets_staff_in_to_add_an_authenticator(
    staff, client, settings
):
    settings.ADMIN_REQUIRE_OTP = True
    device = StaticDevice.objects.create(user=staff, name="Backup codes")
    device.token_set.create(token="bootstrap1")

    assert sign_in(client, staff.email, STRONG_PASSWORD, "bootstrap1").status_code == 302
    assert signed_in(client)
    # Used once, it is gone: the next sign-in needs another.
    assert not device.token_set.exists()


def test_a_session_signed_in_without_a_code_is_sent_back_when_codes_are_required(
    trainer_browser, settings
):
    assert trainer_browser.get(INDEX_URL).status_code == 200
    settings.ADMIN_REQUIRE_OTP = True

    response = trainer_browser.get(INDEX_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_every_spelling_of_the_address_shares_one_count(staff, client):
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in staff.email)
    spellings = [staff.email, staff.email.upper(), wide, f" {staff.email} ", wide]
    assert sign_in(Client(), wide, STRONG_PASSWORD).status_code == 302  # It reaches the account.

    for spelling in spellings:  # Five wrong passwords, however the name is typed.
        assert "Please enter the correct" in sign_in(client, spelling, "wrong").content.decode()

    assert "Too many wrong passwords" in sign_in(client, wide, STRONG_PASSWORD).content.decode()
    assert not signed_in(client)


@pytest.mark.parametrize("name", ["sam\x00@example.com", "x" * 300 + "@example.com"])
def test_a_name_no_account_could_have_is_refused_in_words(client, name):
    # Counted without asking the database for it, which PostgreSQL would refuse (a NUL).
    response = sign_in(client, name, "wrong-guess")

    assert response.status_code == 200
    assert 'class="errornote"' in response.content.decode()  # Saying why.
    assert not signed_in(client)
