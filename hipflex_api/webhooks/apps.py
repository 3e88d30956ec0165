from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "hipflex_api.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the receivers
