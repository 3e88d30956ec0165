"""Uploaded images on an S3-compatible store, as production keeps them: a real server on
loopback (moto's server mode), reached through django-storages, and broken by the test."""

import urllib.request

import pytest
from PIL import Image

from exercises.models import ExerciseMedia
from tests import servers
from tests.conftest import an_image, exercise_url
from tests.exercises.test_images import media_url, upload
from tests.factories import ExerciseFactory
from tests.helpers import answered_within, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    server = servers.S3Server(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@pytest.fixture
def on_s3(s3_server, settings):
    client = s3_server.client()
    for key in s3_server.stored():
        client.delete_object(Bucket=s3_server.BUCKET, Key=key)
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage()}
    return s3_server


@pytest.fixture
def exercise(db):
    return ExerciseFactory(slug="king-runner", published=True)


def test_an_upload_and_its_renditions_are_kept_in_the_bucket_and_served_from_it(
    trainer_client, exercise, on_s3, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(trainer_client, exercise.slug, an_image("JPEG", gps=True))

    assert response.status_code == 201, response.json()
    media = ExerciseMedia.objects.get(pk=response.json()["id"])
    assert response.json()["url"] == f"{on_s3.endpoint}/{on_s3.BUCKET}/{media.file.name}"
    assert on_s3.stored() == sorted(
        [media.file.name, *(r.file.name for r in media.renditions.all())]
    )
    url = response.json()["url"]
    with urllib.request.urlopen(url, timeout=5) as served, Image.open(served) as image:  # noqa: S310
        assert (image.format, dict(image.getexif())) == ("JPEG", {})
    detail = trainer_client.get(exercise_url(exercise.slug)).json()
    assert {r["name"] for r in detail["media"][0]["renditions"]} == {"thumbnail", "phone"}


def test_deleting_the_media_deletes_its_objects_after_commit(
    trainer_client, exercise, on_s3, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        media_id = upload(trainer_client, exercise.slug, an_image()).json()["id"]
    assert len(on_s3.stored()) == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert trainer_client.delete(media_url(exercise.slug, media_id)).status_code == 204

    assert on_s3.stored() == []


@pytest.mark.parametrize("fault", ["unreachable", "hung"])
def test_a_store_that_fails_is_a_503_in_seconds_leaves_nothing_and_the_catalog_serves(
    trainer_client, api_client, exercise, s3_server, settings, fault
):
    proxy = servers.TcpProxy(("127.0.0.1", s3_server.port))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_server.storage(f"http://127.0.0.1:{proxy.port}"),
    }
    proxy.cut() if fault == "unreachable" else proxy.hang()
    try:
        response = answered_within(lambda: upload(trainer_client, exercise.slug, an_image()), 15)
    finally:
        proxy.close()

    assert_error(response, 503, "storage_unavailable")
    assert response["Retry-After"] == "5"
    assert not ExerciseMedia.objects.exists()
    assert api_client.get(exercise_url(exercise.slug)).status_code == 200
