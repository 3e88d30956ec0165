from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django_otp.plugins.otp_totp import apps as otp_totp_apps


class AccountsConfig(AppConfig):
    name = "hipflex_api.accounts"
    label = "accounts"
    verbose_name = "Accounts"


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin on the project's site (settings.INSTALLED_APPS names it)."""

    default = False  # Not the accounts app's own configuration.
    default_site = "hipflex_api.accounts.admin_site.AdminSite"


class AuthenticatorsConfig(otp_totp_apps.DefaultConfig):
    """django-otp's authenticator apps, named in the admin's menu for what staff do there."""

    default = False
    verbose_name = "Your sign-in codes"
