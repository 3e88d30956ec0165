"""The mails accounts send: what each says, and to whom. Sent after commit (hipflex_api.mail)."""

from datetime import timedelta

from django.conf import settings
from django.utils.timesince import timeuntil
from django.utils.timezone import now

from hipflex_api import mail

from .models import User

_TEMPLATES = "accounts/mail/"


def _lifetime(seconds: int) -> str:
    """'1 hour', '3 days': how long a mailed link works, in words."""
    start = now()
    return timeuntil(start + timedelta(seconds=seconds), start).replace("\xa0", " ")


def _send(template: str, to: str, **context: object) -> None:
    mail.send_after_commit(mail.render(_TEMPLATES + template, to=to, context=context))


def password_reset(user: User, token: str) -> None:
    _send(
        "password_reset",
        user.email,
        token=token,
        link=settings.PASSWORD_RESET_URL.format(token=token),
        lifetime=_lifetime(settings.PASSWORD_RESET_TIMEOUT),
    )


def verify_email(user: User, token: str) -> None:
    # No display name: the address is not confirmed yet, so a stranger may have typed the name
    # into a mail signed by the product.
    _send(
        "verify_email",
        user.email,
        token=token,
        link=settings.EMAIL_VERIFY_URL.format(token=token),
        lifetime=_lifetime(settings.EMAIL_VERIFY_TIMEOUT),
    )


def address_in_use(user: User) -> None:
    """To the owner of an address someone tried to sign up with, or move another account to."""
    _send("address_in_use", user.email)


def email_change(new_email: str, token: str) -> None:
    _send(
        "email_change",
        new_email,
        token=token,
        link=settings.EMAIL_VERIFY_URL.format(token=token),
        lifetime=_lifetime(settings.EMAIL_VERIFY_TIMEOUT),
    )


def email_change_notice(user: User, new_email: str) -> None:
    _send("email_change_notice", user.email, new_email=new_email)
