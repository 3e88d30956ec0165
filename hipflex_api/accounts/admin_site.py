"""The project's admin site: the Django admin, with a sign-in that counts wrong passwords per
account and address (the API's counters store, accounts.throttles) and asks staff who have
set up an authenticator for its code (Django OTP); settings.ADMIN_REQUIRE_OTP asks it of all.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .sign_in import CountedSignIn
from .throttles import ADMIN_LOGIN_FAILURES


class AdminLoginForm(CountedSignIn, OTPAdminAuthenticationForm):
    failures = ADMIN_LOGIN_FAILURES
    error_messages = {
        **CountedSignIn.error_messages,
        **OTPAdminAuthenticationForm.error_messages,  # Its words for a staff account.
        "locked": (
            "Too many wrong passwords for this account from this computer, so signing in "
            "here is paused for its safety. Try again in %(minutes)s minutes, or ask an "
            "administrator to set a new password for you."
        ),
        "authenticator_required": (
            "This server asks every staff account for a code from an authenticator app, and "
            "yours has none yet. Ask an administrator for a one-time code to sign in with, "
            "then add your authenticator under “TOTP devices”."
        ),
    }
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": "Enter the code your authenticator app shows for this account.",
        "invalid_token": (
            "That code is not right or has expired: enter the one your authenticator app shows now."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["otp_token"].label = "Code from your authenticator app"
        self.fields["otp_token"].help_text = "Only if you have set one up."
        self.fields["otp_token"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric"}
        )

    def clean_otp(self, user: Any) -> None:
        if user is None:
            return
        if not user_has_device(user, confirmed=True):
            if settings.ADMIN_REQUIRE_OTP:
                raise forms.ValidationError(
                    self.error_messages["authenticator_required"], code="authenticator_required"
                )
            return  # The password is enough for staff who have not set up an authenticator.
        super().clean_otp(user)

    def _chosen_device(self, user: Any) -> Device | None:
        # One field and no list of devices to pick from: six digits are the authenticator
        # app's, anything else is a one-time code an administrator gave (a static device).
        # Only that one device is tried, so a wrong code counts against it alone.
        token = (self.cleaned_data.get("otp_token") or "").strip()
        kind = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
        return kind.objects.devices_for_user(user, confirmed=True).first()


class AdminSite(admin.AdminSite):
    site_header = "hipflex_api catalog"
    site_title = "hipflex_api"
    index_title = "Exercise catalog"
    # No site-wide "View site": the site is an API, whose docs mean nothing to a trainer.
    # An exercise's "View on site" opens its preview, as the app shows it.
    site_url = None
    login_form = AdminLoginForm
    login_template = "admin/hipflex_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        verified = not settings.ADMIN_REQUIRE_OTP or request.user.is_verified()  # type: ignore[union-attr]
        return super().has_permission(request) and verified
