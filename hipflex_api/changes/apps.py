from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "hipflex_api.changes"
    label = "changes"
    verbose_name = "Change sequences"
