from django.apps import AppConfig


class TrainingSessionsConfig(AppConfig):
    # "sessions" is django.contrib.sessions' label; this app logs workout sessions.
    name = "sessions"
    label = "training_sessions"
    verbose_name = "Workout sessions"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the receivers
