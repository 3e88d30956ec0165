"""Requests that race, run on real threads against PostgreSQL with real commits."""

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from hipflex_api.accounts.models import AccountToken, User
from hipflex_api.idempotency.models import IdempotencyRecord
from sessions import services
from sessions.models import SetLog, WorkoutSession
from tests.conftest import (
    ME_URL,
    REFRESH_URL,
    REGISTER_URL,
    RESET_CONFIRM_URL,
    SESSIONS_URL,
    SYNC_URL,
    TOKEN_URL,
    api_client_for,
    session_body,
    session_url,
)
from tests.factories import ExerciseFactory, UserFactory, WorkoutSessionFactory
from tests.races import TIMEOUT, finish, start, together, waits_for_lock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql_only")]


def _post(user: Any, body: dict[str, Any], **headers: str) -> Callable[[], Any]:
    client = api_client_for(user)
    return lambda: client.post(SESSIONS_URL, body, format="json", headers=headers)


def _patch(user: Any, url: str, body: dict[str, Any]) -> Callable[[], Any]:
    client = api_client_for(user)
    return lambda: client.patch(url, body, format="json", headers={"If-Match": '"1"'})


def _sync_ids(page: dict[str, Any]) -> list[str]:
    return [s["id"] for s in page["sessions"]] + [s["id"] for s in page["deleted_sessions"]]


def test_twin_uploads_with_one_client_id_store_one_session():
    user, exercise = UserFactory(), ExerciseFactory()
    rounds = 10
    for _ in range(rounds):
        body = session_body(exercise, id=str(uuid.uuid4()))

        responses = together(_post(user, body), _post(user, body))

        assert sorted(r.status_code for r in responses) == [200, 201]
        assert {r.data["id"] for r in responses} == {body["id"]}
        assert all(len(r.data["sets"]) == 2 for r in responses)
        assert WorkoutSession.objects.filter(pk=body["id"]).count() == 1
        assert SetLog.objects.filter(session_id=body["id"]).count() == 2
    assert WorkoutSession.objects.for_user(user).count() == rounds


def test_twin_uploads_with_one_idempotency_key_store_one_session():
    user, exercise = UserFactory(), ExerciseFactory()
    body = session_body(exercise)
    rounds = 10
    for _ in range(rounds):
        key = f"upload-{uuid.uuid4()}"

        responses = together(
            _post(user, body, **{"Idempotency-Key": key}),
            _post(user, body, **{"Idempotency-Key": key}),
        )

        assert [r.status_code for r in responses] == [201, 201]
        assert responses[0].data["id"] == responses[1].data["id"]
        assert sorted(r.headers.get("Idempotent-Replayed", "") for r in responses) == ["", "true"]
        assert WorkoutSession.objects.filter(pk=responses[0].data["id"]).count() == 1
    assert WorkoutSession.objects.for_user(user).count() == rounds
    assert SetLog.objects.filter(session__user=user).count() == 2 * rounds
    assert IdempotencyRecord.objects.filter(user=user).count() == rounds


def test_twin_patches_with_one_etag_let_exactly_one_win():
    user = UserFactory()
    notes = ["Edited on the phone.", "Edited on the tablet."]
    for _ in range(5):
        session = WorkoutSessionFactory(user=user)
        url = session_url(session.pk)

        responses = together(*(_patch(user, url, {"notes": text}) for text in notes))

        assert sorted(r.status_code for r in responses) == [200, 412]
        [winner] = [text for text, r in zip(notes, responses, strict=True) if r.status_code == 200]
        session.refresh_from_db()
        assert session.version == 2
        assert session.notes == winner


def test_sync_does_not_skip_changes_committed_after_it_read():
    user, exercise = UserFactory(), ExerciseFactory()
    before = WorkoutSessionFactory(user=user)
    data = {"started_at": timezone.now(), "sets": [{"exercise": exercise, "reps": 8}]}
    a_holds, release_a = threading.Event(), threading.Event()

    def write_and_hold() -> WorkoutSession:
        with transaction.atomic():
            session = services.session_create(user=user, data=data)
            a_holds.set()
            assert release_a.wait(TIMEOUT), "never released"
        return session

    workers = start(write_and_hold, barrier=False)
    try:
        assert a_holds.wait(TIMEOUT), "the first writer never wrote"
        workers += start(lambda: services.session_create(user=user, data=data), barrier=False)
        b_queued = waits_for_lock(workers[1])
        first = api_client_for(user).get(SYNC_URL).json()
    finally:
        release_a.set()
        a, b = finish(workers)
    second = api_client_for(user).get(SYNC_URL, {"since": first["next_cursor"]}).json()

    assert _sync_ids(first) + _sync_ids(second) == [str(s.pk) for s in (before, a, b)]
    assert not first["has_more"]
    assert not second["has_more"]
    # Why nothing was skipped: the second writer queued on the counter row the first held.
    assert b_queued


def test_sync_during_many_uploads_sees_each_session_exactly_once():
    user, exercise = UserFactory(), ExerciseFactory()
    writers, uploads_each = 8, 10
    uploads_done = threading.Event()

    def upload_many() -> list[int]:
        client = api_client_for(user)
        return [
            client.post(SESSIONS_URL, session_body(exercise), format="json").status_code
            for _ in range(uploads_each)
        ]

    def follow_sync() -> list[str]:
        client, since, seen = api_client_for(user), None, []
        while True:
            done = uploads_done.is_set()
            query = {"limit": 3} if since is None else {"limit": 3, "since": since}
            page = client.get(SYNC_URL, query).json()
            seen += _sync_ids(page)
            since = page["next_cursor"]
            # Stop only after a full drain that began once every writer had committed.
            if done and not page["has_more"]:
                return seen

    # A fresh user, so the first uploads also race to create the user's change counter.
    reader, *uploaders = start(follow_sync, *[upload_many] * writers)
    statuses = finish(uploaders)
    uploads_done.set()
    [seen] = finish([reader])

    assert all(status == 201 for batch in statuses for status in batch)
    stored = WorkoutSession.objects.for_user(user)
    assert len(seen) == writers * uploads_each
    assert Counter(seen) == Counter(str(pk) for pk in stored.values_list("pk", flat=True))
    change_seqs = sorted(stored.values_list("change_seq", flat=True))
    assert change_seqs == list(range(1, writers * uploads_each + 1))


def _put(user: Any, url: str, body: dict[str, Any]) -> Callable[[], Any]:
    client = api_client_for(user)
    return lambda: client.put(url, body, format="json")


def test_twin_puts_to_a_new_id_create_it_once_and_both_succeed():
    user, exercise = UserFactory(), ExerciseFactory()
    for _ in range(20):
        session_id = str(uuid.uuid4())
        url = session_url(session_id)
        body = session_body(exercise)

        responses = together(_put(user, url, body), _put(user, url, body))

        assert sorted(r.status_code for r in responses) == [200, 201]
        assert {r.headers["ETag"] for r in responses} == {'"1"'}
        assert WorkoutSession.objects.filter(pk=session_id).count() == 1
        assert SetLog.objects.filter(session_id=session_id).count() == 2


def test_deleting_an_account_during_an_upload_leaves_nothing_behind_and_no_500():
    exercise = ExerciseFactory()
    for _ in range(5):
        user = UserFactory(password="delete-me-please-42")
        uploading = _post(user, session_body(exercise))
        deleting_client = api_client_for(user)

        def delete_account(client: APIClient = deleting_client) -> Any:
            return client.delete(ME_URL, {"password": "delete-me-please-42"}, format="json")

        upload, deletion = together(uploading, delete_account)

        assert deletion.status_code == 204
        # Either the upload committed first and the deletion took it along, or it came
        # second and found the account gone.
        assert upload.status_code in {201, 401}, upload.content
        assert not WorkoutSession.objects.filter(user_id=user.pk).exists()
        assert not SetLog.objects.filter(session__user_id=user.pk).exists()
        assert not type(user).objects.filter(pk=user.pk).exists()


def test_twin_refreshes_with_one_token_give_one_new_pair():
    user = UserFactory(password="refresh-me-twice-42")
    for _ in range(5):
        refresh = (
            APIClient()
            .post(TOKEN_URL, {"email": user.email, "password": "refresh-me-twice-42"})
            .json()["refresh"]
        )

        def refresh_once(token: str = refresh) -> Any:
            return APIClient().post(REFRESH_URL, {"refresh": token})

        responses = together(refresh_once, refresh_once)

        assert sorted(r.status_code for r in responses) == [200, 401]


def test_twin_confirms_with_one_reset_token_set_one_password():
    for n in range(5):
        user = UserFactory()
        token = AccountToken.issue(
            user=user, purpose="password_reset", email=user.email, lifetime=timedelta(hours=1)
        )
        passwords = [f"first-choice-{n}-meadow", f"second-choice-{n}-harbour"]

        def confirm(password: str, token: str = token) -> Any:
            body = {"token": token, "new_password": password}
            return APIClient().post(RESET_CONFIRM_URL, body)

        responses = together(*(lambda p=p: confirm(p) for p in passwords))

        assert sorted(r.status_code for r in responses) == [200, 400]
        winner = passwords[[r.status_code for r in responses].index(200)]
        user.refresh_from_db()
        assert user.check_password(winner)


def test_twin_sign_ups_of_one_address_make_one_account():
    for n in range(5):
        body = {"email": f"twin{n}@example.com", "password": "twin-sign-up-password-42"}

        responses = together(*[lambda body=body: APIClient().post(REGISTER_URL, body)] * 2)

        assert [r.status_code for r in responses] == [202, 202]
        assert responses[0].json() == responses[1].json()
        assert User.objects.filter(email__iexact=body["email"]).count() == 1
