from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hipflex_api.accounts"
    label = "accounts"
    verbose_name = "Accounts"
