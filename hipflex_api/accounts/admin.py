from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin  # Registers it, replaced below.
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image
from oauth2_provider.admin import ApplicationAdmin  # Registers it, replaced below.
from oauth2_provider.forms import ApplicationForm

from .models import App, User
from .scopes import SCOPE_TEXT


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = (
        "email",
        "display_name",
        "email_verified_at",
        "is_staff",
        "is_active",
        "date_joined",
    )
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "email_verified_at", "password")}),
        ("Profile", {"fields": ("display_name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class AuthenticatorForm(forms.Form):
    code = forms.CharField(
        label="Code your app shows now",
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _password_checked(user: Any) -> type[forms.ModelForm]:
    """The form that adds an authenticator, asking for the password of `user` again, so that
    someone at a computer left signed in cannot add one of their own and keep coming back."""

    class AddAuthenticatorForm(forms.ModelForm):
        password = forms.CharField(
            label="Your password",
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        )

        class Meta:
            model = TOTPDevice
            fields = ["name"]

        def clean_password(self) -> str:
            password = self.cleaned_data["password"]
            if not user.check_password(password):
                raise forms.ValidationError("That is not your password.")
            return password

    return AddAuthenticatorForm


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(TOTPDeviceAdmin):
    """Staff turn on an authenticator app for themselves: name it, scan the code, type what
    the app then shows; until then it is not asked for at sign-in. One each (the sign-in form
    has one box for its code); removing it lets one add another. Each sees only their own;
    superusers see everyone's, to remove a lost phone's, but no one's secret
    (settings.OTP_ADMIN_HIDE_SENSITIVE_DATA)."""

    def _own(self, request: HttpRequest, device: TOTPDevice | None) -> bool:
        user = request.user
        mine = device is None or device.user_id == user.pk
        return bool(user.is_active and user.is_staff and (user.is_superuser or mine))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._own(request, None)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._own(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        has_one = TOTPDevice.objects.filter(user_id=request.user.pk).exists()
        return self._own(request, None) and not has_one

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._own(request, obj) and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._own(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TOTPDevice]:
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = ["name", "confirmed", "created_at", "last_used_at", "setup_link"]
        return ["user", *columns] if request.user.is_superuser else columns

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [(None, {"fields": ["name", "password"]})]
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return [(None, {"fields": ["name"]})]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = _password_checked(request.user)
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request: HttpRequest, obj: TOTPDevice, form: Any, change: bool) -> None:
        if not change:
            obj.user, obj.confirmed = request.user, False  # Asked for once the app has it.
        super().save_model(request, obj, form, change)

    def response_add(self, request: HttpRequest, obj: TOTPDevice, *args: Any) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:otp_totp_totpdevice_config", args=[obj.pk]))

    @admin.display(description="Set up")
    def setup_link(self, device: TOTPDevice) -> str:
        if device.confirmed:
            return "On"
        url = reverse("admin:otp_totp_totpdevice_config", args=[device.pk])
        return format_html('<a href="{}">Scan the code and confirm</a>', url)

    def _setting_up(self, request: HttpRequest, pk: int) -> TOTPDevice:
        """One of the caller's own authenticators not yet confirmed: its secret is shown to
        them alone and only until then, so a stolen session cannot copy a working one."""
        mine = TOTPDevice.objects.filter(user=request.user, confirmed=False)
        device = mine.filter(pk=pk).first()
        if device is None:
            raise Http404("No authenticator of yours is waiting to be set up there.")
        return device

    def qrcode_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        device = self._setting_up(request, pk)
        response = HttpResponse(content_type="image/svg+xml")
        write_qrcode_image(device.config_url, response)
        return response

    def config_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        device = self._setting_up(request, pk)
        form = AuthenticatorForm(request.POST or None)
        if form.is_valid():
            if device.verify_token(form.cleaned_data["code"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)  # This sign-in counts as made with it.
                self.message_user(
                    request,
                    f"“{device.name}” is on: from now on signing in asks for its code.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:otp_totp_totpdevice_changelist"))
            form.add_error("code", "That code is not right: type the one your app shows now.")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Set up “{device.name}”",
            "opts": self.opts,
            "device": device,
            "form": form,
        }
        return TemplateResponse(request, "admin/otp_totp/authenticator_setup.html", context)


class AppForm(ApplicationForm):
    allowed_scopes = forms.MultipleChoiceField(
        choices=[(scope.value, f"{scope.value}: {text}") for scope, text in SCOPE_TEXT.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What the app may ask people for; each person still chooses.",
    )


admin.site.unregister(App)


@admin.register(App)
class AppAdmin(ApplicationAdmin):
    """Third-party apps, registered by staff: the name people see on the consent page, where
    it may send them back to, whether it keeps a secret (a server) or not (a phone app),
    and the scopes it may ask for."""

    form = AppForm
    list_display = ("name", "client_id", "client_type", "created")
    list_filter = ("client_type",)
    fields = (
        "name",
        "client_type",
        "redirect_uris",
        "allowed_scopes",
        "client_id",
        "client_secret",
        "hash_client_secret",
        "user",
    )
    radio_fields = {"client_type": admin.HORIZONTAL}
