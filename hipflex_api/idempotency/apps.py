from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "hipflex_api.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"
