"""Mail end to end: a request enqueues a job, the Celery worker sends it through real SMTP.

The requests run in real transactions (transaction=True), so that their jobs are enqueued when
they commit, as on a server.
"""

import pytest
from django.db import transaction

from hipflex_api import mail
from tests.conftest import (
    REGISTER_URL,
    RESET_CONFIRM_URL,
    RESET_URL,
    STRONG_PASSWORD,
    VERIFY_URL,
    login,
    token_in,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_up_mail_arrives_through_smtp_and_its_token_confirms_the_address(
    on_worker, smtp_server, api_client
):
    body = {"email": "ann@example.com", "password": STRONG_PASSWORD, "display_name": "Ann"}
    assert api_client.post(REGISTER_URL, body).status_code == 202

    (message,) = smtp_server.wait_for(1)

    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Confirm your address for hipflex"
    html = message.get_body(("html",)).get_content()
    assert "Please confirm that this address is yours" in html
    assert api_client.post(VERIFY_URL, {"token": token_in(message)}).status_code == 204


def test_reset_mail_arrives_through_smtp_and_its_token_sets_the_password(
    on_worker, smtp_server, api_client
):
    user = UserFactory(email="bo@example.com")
    assert api_client.post(RESET_URL, {"email": user.email}).status_code == 202

    (message,) = smtp_server.wait_for(1)
    response = api_client.post(
        RESET_CONFIRM_URL, {"token": token_in(message), "new_password": STRONG_PASSWORD}
    )

    assert response.status_code == 200, response.content
    assert login(user.email, STRONG_PASSWORD).status_code == 200
    # The worker logged the job, but neither the token it carried nor the whole address.
    assert "bo@example.com" not in on_worker.output()
    assert token_in(message) not in on_worker.output()


def test_a_mail_refused_twice_by_smtp_is_retried_and_arrives_once(
    on_worker, smtp_server, api_client
):
    user = UserFactory(email="cy@example.com")
    smtp_server.refuse_next(2)

    response = api_client.post(RESET_URL, {"email": user.email})

    assert response.status_code == 202  # The request never waits for SMTP.
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == user.email
    assert smtp_server.refused == 2
    assert on_worker.output().count("not sent yet (SMTPDataError 451)") >= 2
    # A later mail is the next to arrive: the reset was not sent a second time.
    mail.send_after_commit(mail.Mail(to="later@example.com", subject="s", text="t", html="h"))
    assert [m["To"] for m in smtp_server.wait_for(2)] == [user.email, "later@example.com"]


def test_a_mail_enqueued_in_a_transaction_that_rolls_back_is_never_sent(on_worker, smtp_server):
    def fail_after_enqueueing():
        with transaction.atomic():
            mail.send_after_commit(
                mail.Mail(to="ghost@example.com", subject="s", text="t", html="h")
            )
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        fail_after_enqueueing()
    with transaction.atomic():
        mail.send_after_commit(mail.Mail(to="real@example.com", subject="s", text="t", html="h"))

    (message,) = smtp_server.wait_for(1)

    assert message["To"] == "real@example.com"
    assert [m["To"] for m in smtp_server.messages] == ["real@example.com"]
