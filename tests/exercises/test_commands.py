import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_trainer_makes_a_staff_account_in_the_trainers_group(monkeypatch):
    monkeypatch.setenv("DJANGO_TRAINER_PASSWORD", "kneel-and-breathe-42")
    call_command("create_trainer", "Coach@Example.com", no_input=True, verbosity=0)
    trainer = get_user_model().objects.get(email__iexact="coach@example.com")
    assert trainer.is_staff
    assert not trainer.is_superuser
    assert list(trainer.groups.values_list("name", flat=True)) == ["Trainers"]
    assert trainer.check_password("kneel-and-breathe-42")
    assert trainer.has_perm("exercises.change_exercise")


def test_create_trainer_keeps_an_existing_accounts_password(monkeypatch):
    user = UserFactory(email="coach@example.com", password="the-old-password-1")
    monkeypatch.setenv("DJANGO_TRAINER_PASSWORD", "something-else-77")
    call_command("create_trainer", "coach@example.com", no_input=True, verbosity=0)
    user.refresh_from_db()
    assert user.is_staff
    assert user.check_password("the-old-password-1")


def test_create_trainer_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("DJANGO_TRAINER_PASSWORD", "123")
    with pytest.raises(CommandError, match="too short"):
        call_command("create_trainer", "coach@example.com", no_input=True, verbosity=0)
    assert not get_user_model().objects.exists()


def test_create_trainer_without_a_password_says_how(monkeypatch):
    monkeypatch.delenv("DJANGO_TRAINER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="DJANGO_TRAINER_PASSWORD"):
        call_command("create_trainer", "coach@example.com", no_input=True, verbosity=0)
