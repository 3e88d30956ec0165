import getpass
import os
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

TRAINERS = "Trainers"
PASSWORD_ENV = "DJANGO_TRAINER_PASSWORD"  # noqa: S105 - the name of a variable, not a secret


class Command(BaseCommand):
    help = (
        "Give a person a trainer account: staff access to /admin/, in the Trainers group, which "
        "may edit the exercise catalog and nothing else. An existing account keeps its password."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--no-input",
            action="store_true",
            help=f"Do not prompt; a new account takes its password from {PASSWORD_ENV}.",
        )

    def handle(self, *args: Any, email: str, no_input: bool, **options: Any) -> None:
        User = get_user_model()
        user = User.objects.filter(email__iexact=email).first()
        password = None
        if user is None:
            password = self._password(no_input)
            candidate = User(email=User.objects.normalize_email(email))
            try:
                candidate.full_clean(exclude=["password"])
                password_validation.validate_password(password, candidate)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
        with transaction.atomic():
            if user is None:
                user = User.objects.create_user(email=email, password=password)
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(Group.objects.get(name=TRAINERS))
        self.stdout.write(f"{user.email} is a trainer and can log in at /admin/.")

    def _password(self, no_input: bool) -> str:
        if no_input:
            password = os.environ.get(PASSWORD_ENV, "")
            if not password:
                raise CommandError(f"Set {PASSWORD_ENV} to create a new account with --no-input.")
            return password
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return password
