from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "hipflex_api.accounts"
    label = "accounts"
    verbose_name = "Accounts"


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin on the project's site (settings.INSTALLED_APPS names it)."""

    default = False  # Not the accounts app's own configuration.
    default_site = "hipflex_api.accounts.admin_site.AdminSite"
