from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "hipflex_api.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
