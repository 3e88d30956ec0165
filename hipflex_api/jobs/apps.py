from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "hipflex_api.jobs"
    label = "jobs"
    verbose_name = "Jobs waiting for the broker"
