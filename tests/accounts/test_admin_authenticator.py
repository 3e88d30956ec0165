"""Staff turn on an authenticator app for themselves in the admin: it is asked for at sign-in
only once they have typed a code it showed, and nobody else sees its secret."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.test_admin_sign_in import current_code, sign_in
from tests.conftest import STRONG_PASSWORD, browser_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

DEVICES = "/admin/otp_totp/totpdevice/"


def setup_url(device: TOTPDevice) -> str:
    return f"{DEVICES}{device.pk}/config/"


def add_authenticator(browser, name: str = "My phone", password: str = PASSWORD) -> TOTPDevice:
    response = browser.post(f"{DEVICES}add/", {"name": name, "password": password, "_save": "Save"})
    device = TOTPDevice.objects.get(name=name)
    assert response.status_code == 302
    assert response["Location"] == setup_url(device)
    return device


def test_a_trainer_turns_on_an_authenticator_and_is_asked_for_it_at_sign_in(trainer, client):
    trainer.set_password(STRONG_PASSWORD)
    trainer.save()
    trainer_browser = browser_for(trainer)  # After the new password, which ends sessions.
    device = add_authenticator(trainer_browser, password=STRONG_PASSWORD)
    assert device.user == trainer
    assert not device.confirmed
    # Not confirmed yet: the password is still enough.
    assert sign_in(client, trainer.email, STRONG_PASSWORD).status_code == 302
    client.logout()

    page = trainer_browser.get(setup_url(device)).content.decode()
    assert f'src="{DEVICES}{device.pk}/qrcode/"' in page
    assert trainer_browser.get(f"{DEVICES}{device.pk}/qrcode/")["Content-Type"] == "image/svg+xml"
    wrong = trainer_browser.post(setup_url(device), {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    confirmed = trainer_browser.post(setup_url(device), {"code": current_code(device)})

    assert confirmed.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    asked = sign_in(client, trainer.email, STRONG_PASSWORD)
    assert "Enter the code your authenticator app shows" in asked.content.decode()
    # Its secret is shown no more.
    assert trainer_browser.get(setup_url(device)).status_code == 404
    assert trainer_browser.get(f"{DEVICES}{device.pk}/qrcode/").status_code == 404


def test_a_trainer_sees_only_their_own_authenticators(trainer_browser):
    other = UserFactory(is_staff=True)
    theirs = TOTPDevice.objects.create(user=other, name="Their phone", confirmed=False)
    add_authenticator(trainer_browser, "My phone")

    listing = trainer_browser.get(DEVICES).content.decode()

    assert "My phone" in listing
    assert "Their phone" not in listing
    assert trainer_browser.get(setup_url(theirs)).status_code == 404
    assert trainer_browser.get(f"{DEVICES}{theirs.pk}/qrcode/").status_code == 404
    # The admin's way with a row outside one's list: back to the index, saying it is not there.
    response = trainer_browser.post(f"{DEVICES}{theirs.pk}/delete/", {"post": "yes"})
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    # Staff change none, theirs or anyone's: a device is added, confirmed or removed.
    assert trainer_browser.post(f"{DEVICES}{theirs.pk}/change/", {"name": "X"}).status_code == 403
    assert TOTPDevice.objects.filter(pk=theirs.pk, name="Their phone").exists()


def test_a_new_authenticator_is_the_signed_in_persons_whatever_the_form_says(
    trainer, trainer_browser
):
    other = UserFactory(is_staff=True)

    body = {"name": "Sneaky", "user": other.pk, "password": PASSWORD, "_save": "Save"}
    trainer_browser.post(f"{DEVICES}add/", body)

    assert TOTPDevice.objects.get(name="Sneaky").user == trainer


def test_staff_can_remove_their_lost_phone(trainer, trainer_browser):
    device = TOTPDevice.objects.create(user=trainer, name="Lost phone", confirmed=True)

    response = trainer_browser.post(f"{DEVICES}{device.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_admin_index_offers_staff_their_authenticators(trainer_browser):
    html = trainer_browser.get("/admin/").content.decode()

    assert re.search(rf'href="{DEVICES}"', html)


def test_a_person_who_is_not_staff_cannot_add_one(db):
    outsider = browser_for(UserFactory())

    response = outsider.post(f"{DEVICES}add/", {"name": "Mine", "_save": "Save"})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not TOTPDevice.objects.exists()


def test_adding_one_asks_for_the_password_again(trainer_browser):
    body = {"name": "Thief's phone", "password": "not-it", "_save": "Save"}

    response = trainer_browser.post(f"{DEVICES}add/", body)

    assert "That is not your password." in response.content.decode()
    assert not TOTPDevice.objects.exists()


def test_one_authenticator_each_until_it_is_removed(trainer, trainer_browser):
    device = TOTPDevice.objects.create(user=trainer, name="Phone", confirmed=True)

    assert trainer_browser.get(f"{DEVICES}add/").status_code == 403
    device.delete()
    assert trainer_browser.get(f"{DEVICES}add/").status_code == 200


def test_a_superuser_sees_whose_each_one_is_and_no_ones_secret(trainer):
    device = TOTPDevice.objects.create(user=trainer, name="Phone", confirmed=True)
    admin = browser_for(UserFactory(is_staff=True, is_superuser=True))

    listing = admin.get(DEVICES).content.decode()
    change = admin.get(f"{DEVICES}{device.pk}/change/").content.decode()

    assert trainer.email in listing
    assert device.key not in change
    assert admin.get(setup_url(device)).status_code == 404
    assert admin.get(f"{DEVICES}{device.pk}/qrcode/").status_code == 404
