from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    verbose_name = "Exercise catalog"

    def ready(self) -> None:
        from . import history, signals  # noqa: F401 - registers the models, connects the receivers
