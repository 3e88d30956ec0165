"""Connecting a third-party app (django-oauth-toolkit's authorization server): the scopes an
app may ask for, and the server's own pages where a person signs in and consents, granting
health data (pain) apart from the rest."""

from typing import Any

from django import forms
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from oauth2_provider.forms import AllowForm
from oauth2_provider.scopes import SettingsScopes
from oauth2_provider.views import AuthorizationView

from .scopes import HEALTH_SCOPES, SCOPE_TEXT, Scope
from .sign_in import CountedSignIn
from .throttles import SIGN_IN_FAILURES


class AppScopes(SettingsScopes):
    """An app asks only for the scopes staff allowed it; health data is never a default."""

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        every = super().get_available_scopes(application, request, *args, **kwargs)
        if application is None:
            return list(every)
        return [scope for scope in every if scope in application.allowed_scopes]

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        available = self.get_available_scopes(application, request, *args, **kwargs)
        return [scope for scope in available if scope not in HEALTH_SCOPES]


class SignInForm(CountedSignIn):
    failures = SIGN_IN_FAILURES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget.attrs.update({"autocomplete": "email"})


class SignInView(LoginView):
    """The person's email and password, on this server's page: an app never sees them."""

    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True


class ConsentForm(AllowForm):
    health = forms.BooleanField(required=False, label="Also share the pain I report (health data)")


class ConsentView(AuthorizationView):
    """The app, and what each scope it asks for lets it see, in words; the person grants
    health data by ticking it on its own, and may connect without it."""

    form_class = ConsentForm
    template_name = "accounts/consent.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        asked = [Scope(name) for name in context.get("scopes", []) if name in set(Scope)]
        context["asked"] = [(s, SCOPE_TEXT[s]) for s in asked if s not in HEALTH_SCOPES]
        context["asked_health"] = [(s, SCOPE_TEXT[s]) for s in asked if s in HEALTH_SCOPES]
        return context

    def form_valid(self, form: ConsentForm) -> HttpResponse:
        if not form.cleaned_data.get("health"):
            asked = form.cleaned_data["scope"].split()
            granted = [scope for scope in asked if scope not in HEALTH_SCOPES]
            if granted:
                form.cleaned_data["scope"] = " ".join(granted)
            else:
                # Nothing but health data was asked for, and it was not given: a refusal.
                # (An empty scope would make oauthlib grant the request's or the defaults.)
                form.cleaned_data["allow"] = False
        return super().form_valid(form)
