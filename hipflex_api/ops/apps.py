from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "hipflex_api.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from . import deploy_checks, signals  # noqa: F401 - registers checks and receivers
