"""Signing in on the server's own pages (the admin's, and the consent page's for people
connecting an app): Django's form, with wrong passwords counted per account and address in
the API's counters store (accounts.throttles), refused past their limit, and refused too
when the store cannot count them."""

import math
from typing import Any, ClassVar

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from hipflex_api.errors import LimitsUnavailable


class CountedSignIn(AuthenticationForm):
    # The throttles that count this form's wrong passwords, tightest first.
    failures: ClassVar[tuple[type, ...]] = ()
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": (
            "Too many wrong passwords for this account from this computer, so signing in "
            "here is paused for its safety. Try again in %(minutes)s minutes, or set a new "
            "password from the app's “Forgot password”."
        ),
        "limits_unavailable": (
            "Signing in is unavailable for a moment (the server cannot count attempts). "
            "Try again in a minute."
        ),
    }

    def clean(self) -> dict[str, Any]:
        request = self.request
        limits = [throttle() for throttle in self.failures]
        try:
            refused = [limit for limit in limits if not limit.allow_request(request, None)]
            if refused:
                seconds = max(limit.wait() or 60 for limit in refused)
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": math.ceil(seconds / 60)},
                )
            try:
                return super().clean()
            except forms.ValidationError as error:
                if getattr(error, "code", None) == "invalid_login":
                    for limit in limits:
                        limit.record_failure(request, None)
                raise
        except LimitsUnavailable as outage:
            # Refused, not let through uncounted, as the API's login does.
            raise forms.ValidationError(
                self.error_messages["limits_unavailable"], code="limits_unavailable"
            ) from outage
