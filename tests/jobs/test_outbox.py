"""Jobs kept in the database when the broker does not take them, and the relay that hands them
over later: each job once, nothing lost, in the order asked."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from hipflex_api.jobs.models import Job
from hipflex_api.jobs.outbox import enqueue, relay
from tests.conftest import RESET_URL
from tests.factories import UserFactory
from tests.jobs.conftest import jobs_on
from tests.servers import free_port

pytestmark = pytest.mark.django_db


def down_broker():
    return jobs_on(f"redis://127.0.0.1:{free_port()}/0")


def kept_while_the_broker_was_down(mailed, api_client, *emails):
    before = Job.objects.count()
    with down_broker():
        for email in emails:
            assert mailed(api_client.post, RESET_URL, {"email": email}).status_code == 202
    assert Job.objects.count() == before + len(emails)


@pytest.fixture
def relay_at_once(settings):
    settings.JOBS_RELAY_SECONDS = 0  # Every kept row is the relay's at once.


def test_the_relay_sends_what_the_broker_did_not_take_once_and_in_order(
    mailed, api_client, mailoutbox, relay_at_once
):
    users = [UserFactory(email=f"kept{n}@example.com") for n in range(3)]
    kept_while_the_broker_was_down(mailed, api_client, *(u.email for u in users))
    assert mailoutbox == []

    assert relay() == 3  # Without a broker now, each runs here.

    assert [m.to for m in mailoutbox] == [[u.email] for u in users]
    assert not Job.objects.exists()
    assert relay() == 0
    assert len(mailoutbox) == 3


def test_a_relay_while_the_broker_is_still_down_keeps_every_job(
    mailed, api_client, mailoutbox, relay_at_once
):
    kept_while_the_broker_was_down(mailed, api_client, UserFactory().email, UserFactory().email)

    with down_broker():
        assert relay() == 0

    assert Job.objects.count() == 2
    assert relay() == 2
    assert len(mailoutbox) == 2


def test_the_relay_leaves_a_job_its_own_request_is_still_handing_over(mailed, api_client, settings):
    settings.JOBS_RELAY_SECONDS = 60
    kept_while_the_broker_was_down(mailed, api_client, UserFactory().email)

    assert relay() == 0
    Job.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert relay() == 1


def test_a_job_for_a_task_this_version_does_not_have_is_dropped_not_stuck(
    mailed, api_client, mailoutbox, relay_at_once, caplog
):
    Job.objects.create(task="hipflex_api.gone", args=[], argsrepr="()")
    kept_while_the_broker_was_down(mailed, api_client, UserFactory().email)

    assert relay() == 2  # The gone task's row first, then the mail behind it.

    assert not Job.objects.exists()
    assert len(mailoutbox) == 1
    assert "Job hipflex_api.gone () (" in caplog.text
    assert "cannot be run by this version; dropped: NotRegistered" in caplog.text


def test_a_job_whose_arguments_the_task_no_longer_takes_is_dropped_not_stuck(
    mailed, api_client, mailoutbox, relay_at_once, caplog
):
    Job.objects.create(task="hipflex_api.mail.deliver", args=["only-an-id"], argsrepr="()")
    kept_while_the_broker_was_down(mailed, api_client, UserFactory().email)

    assert relay() == 2

    assert "cannot be run by this version; dropped: TypeError" in caplog.text
    assert len(mailoutbox) == 1


def test_a_transaction_that_rolls_back_leaves_no_job(django_capture_on_commit_callbacks):
    def fail_after_enqueueing():
        with transaction.atomic():
            enqueue("hipflex_api.mail.deliver", ["m", "a@example.com", "s", "t", "h"], argsrepr="")
            raise RuntimeError("the request failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        fail_after_enqueueing()

    assert (Job.objects.count(), callbacks) == (0, [])


def test_the_command_relays_and_says_how_many(
    mailed, api_client, mailoutbox, relay_at_once, capsys
):
    kept_while_the_broker_was_down(mailed, api_client, UserFactory().email)

    call_command("relay_jobs")

    assert capsys.readouterr().out == "1 kept job(s) handed to the broker.\n"
    assert len(mailoutbox) == 1


def test_a_job_kept_while_the_broker_was_down_is_mailed_by_the_worker_once(
    mailed, api_client, on_worker, smtp_server, relay_at_once
):
    user = UserFactory(email="later@example.com")
    kept_while_the_broker_was_down(mailed, api_client, user.email)
    (job,) = Job.objects.all()

    assert relay() == 1  # On the worker's broker, now.
    assert relay() == 0

    (message,) = smtp_server.wait_for(1)
    assert message["To"] == user.email
    # The worker ran the job under the row's id.
    assert str(job.pk) in on_worker.output()
