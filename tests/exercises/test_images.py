"""Uploaded images of exercises, on the filesystem store (`make run`'s): what Pillow takes and
refuses, what is kept of the file, the renditions made in the background, and that no row or
file is left half-made."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from exercises import limits, services
from exercises.models import ExerciseMedia, MediaRendition
from exercises.views import ExerciseViewSet
from tests.conftest import an_image, exercise_url, image_upload
from tests.factories import ExerciseFactory, ExerciseMediaFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

CREDIT = {"licence": "CC BY 4.0", "attribution": "Sam, a hipflex trainer"}


def media_url(slug, media_id=None):
    return exercise_url(slug) + ("media/" if media_id is None else f"media/{media_id}/")


def upload(client, slug, content, **fields):
    body = {"file": image_upload(content), **CREDIT, **fields}
    return client.post(media_url(slug), body, format="multipart")


def stored_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(autouse=True)
def _empty_media_root():
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()


@pytest.fixture
def exercise(db):
    return ExerciseFactory(slug="king-runner", published=True)


def test_an_upload_is_kept_upright_without_its_exif_and_gets_renditions_after_commit(
    trainer_client, api_client, exercise, django_capture_on_commit_callbacks
):
    # A phone held sideways: 640 x 480 pixels, EXIF orientation 6 (turn a quarter clockwise).
    photo = an_image("JPEG", (640, 480), gps=True, orientation=6)
    before = api_client.get(exercise_url(exercise.slug))["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(trainer_client, exercise.slug, photo, caption="Knee on the wall")

    assert response.status_code == 201, response.json()
    body = response.json()
    media = ExerciseMedia.objects.get(pk=body["id"])
    assert body["url"] == f"http://testserver/media/{media.file.name}"
    assert (body["width"], body["height"], body["kind"]) == (480, 640, "image")
    assert body["renditions"] == []  # The answer comes before they are made.
    with Image.open(media.file.path) as kept:
        assert (kept.format, kept.size) == ("JPEG", (480, 640))
        assert dict(kept.getexif()) == {}
    renditions = {r.name: r for r in MediaRendition.objects.filter(media=media)}
    assert {name: (r.width, r.height) for name, r in renditions.items()} == {
        "thumbnail": (240, 320),
        "phone": (480, 640),  # Never enlarged.
    }
    for rendition in renditions.values():
        with Image.open(rendition.file.path) as made:
            assert made.format == "WEBP"
    detail = api_client.get(exercise_url(exercise.slug))
    assert detail["ETag"] != before
    (shown,) = detail.json()["media"]
    assert {r["name"]: r["url"] for r in shown["renditions"]} == {
        name: f"http://testserver/media/{r.file.name}" for name, r in renditions.items()
    }
    assert len(stored_files()) == 3


def _noisy_jpeg():
    out = io.BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(out, format="JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (an_image("GIF"), "The file is a GIF image: send a JPEG, PNG, WEBP file."),
        (b"%PDF-1.7 not a picture", "The file is not an image that can be read"),
        (an_image("PNG", (6001, 10)), "The image is 6001 by 10 pixels; each side may be at"),
        (_noisy_jpeg()[:3000], "The image is damaged or cut short."),
    ],
    ids=["gif", "pdf", "too-wide", "truncated"],
)
def test_what_is_not_an_image_taken_is_refused_naming_why_and_nothing_is_kept(
    trainer_client, exercise, content, message
):
    response = upload(trainer_client, exercise.slug, content)

    body = assert_error(response, 400, "invalid")
    assert body["errors"][0]["field"] == "file"
    assert body["errors"][0]["message"].startswith(message), body
    assert not ExerciseMedia.objects.exists()
    assert stored_files() == []


def test_an_image_over_the_size_limit_is_refused(trainer_client, exercise, monkeypatch):
    content = an_image("PNG", (300, 300))
    monkeypatch.setattr(limits, "IMAGE_MAX_BYTES", len(content) - 1)

    body = assert_error(upload(trainer_client, exercise.slug, content), 400, "invalid")

    assert "at most" in body["errors"][0]["message"]
    assert stored_files() == []


def test_a_body_over_the_upload_limit_is_a_413_before_it_is_read(
    trainer_client, exercise, monkeypatch
):
    content = _noisy_jpeg()
    monkeypatch.setattr(ExerciseViewSet, "upload_max_bytes", len(content) // 2)

    response = upload(trainer_client, exercise.slug, content)

    assert_error(response, 413, "request_too_large")
    assert stored_files() == []


def test_a_licence_and_whom_to_credit_are_required(trainer_client, exercise):
    body = {"file": image_upload(an_image()), "licence": "CC BY 4.0"}

    response = trainer_client.post(media_url(exercise.slug), body, format="multipart")

    assert {e["field"] for e in assert_error(response, 400, "invalid")["errors"]} == {"attribution"}
    assert stored_files() == []


def test_only_trainers_upload(api_client, user_client, exercise):
    assert upload(api_client, exercise.slug, an_image()).status_code == 401
    assert_error(upload(user_client, exercise.slug, an_image()), 403, "permission_denied")
    assert stored_files() == []


def test_an_exercise_holds_so_many_media_and_no_more(trainer_client, exercise):
    ExerciseMediaFactory.create_batch(limits.MEDIA_ITEMS, exercise=exercise)

    response = upload(trainer_client, exercise.slug, an_image())

    assert_error(response, 422, "unprocessable")
    assert ExerciseMedia.objects.count() == limits.MEDIA_ITEMS
    assert stored_files() == []


def test_a_write_of_the_exercise_keeps_an_uploaded_image_by_its_id_and_drops_the_rest(
    trainer_client, exercise, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        kept = upload(trainer_client, exercise.slug, an_image()).json()
        gone = upload(trainer_client, exercise.slug, an_image("PNG")).json()
    assert len(stored_files()) == 6
    read = trainer_client.get(exercise_url(exercise.slug)).json()
    link = {"kind": "video", "url": "https://video.example.com/kr.mp4", "licence": "CC0"}
    # As read, with a new caption (and without its URL, which a write of it ignores).
    media = [
        {**{k: v for k, v in m.items() if k != "url"}, "caption": "Kneel"}
        for m in read["media"]
        if m["id"] == kept["id"]
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = trainer_client.patch(
            exercise_url(exercise.slug), {"media": [link, *media]}, format="json"
        )

    assert response.status_code == 200, response.json()
    first, second = response.json()["media"]
    assert (first["kind"], first["url"], first["id"] != kept["id"]) == ("video", link["url"], True)
    assert (second["id"], second["url"], second["caption"]) == (kept["id"], kept["url"], "Kneel")
    assert len(second["renditions"]) == 2
    assert not ExerciseMedia.objects.filter(pk=gone["id"]).exists()
    assert len(stored_files()) == 3  # The dropped image's file and renditions are deleted.


def test_a_write_naming_another_exercises_media_is_refused(trainer_client, exercise):
    other = ExerciseMediaFactory()
    item = {"id": other.pk, "kind": "image", **CREDIT}

    response = trainer_client.patch(exercise_url(exercise.slug), {"media": [item]}, format="json")

    body = assert_error(response, 400, "invalid")
    assert f"has id {other.pk}" in body["errors"][0]["message"]


def test_deleting_a_media_item_deletes_its_files_after_commit(
    trainer_client, exercise, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        media_id = upload(trainer_client, exercise.slug, an_image()).json()["id"]
    other = ExerciseMediaFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = trainer_client.delete(media_url(exercise.slug, media_id))

    assert response.status_code == 204
    assert stored_files() == []
    assert trainer_client.delete(media_url(exercise.slug, media_id)).status_code == 404
    assert trainer_client.delete(media_url(exercise.slug, other.pk)).status_code == 404


def test_renditions_made_twice_are_made_once_and_none_for_a_replaced_file(
    trainer_client, exercise, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        media_id = upload(trainer_client, exercise.slug, an_image()).json()["id"]
    media = ExerciseMedia.objects.get(pk=media_id)

    assert services.media_make_renditions(media_id=media_id, file_name=media.file.name) == 2
    assert services.media_make_renditions(media_id=media_id, file_name="exercises/old.jpg") == 0

    assert MediaRendition.objects.filter(media=media).count() == 2
    assert len(stored_files()) == 3


def test_the_store_failing_is_a_503_to_retry_and_nothing_is_kept(
    trainer_client, api_client, exercise, settings, tmp_path
):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the media directory should be")
    settings.MEDIA_ROOT = str(blocked)

    response = upload(trainer_client, exercise.slug, an_image())

    assert_error(response, 503, "storage_unavailable")
    assert response["Retry-After"] == "5"
    assert not ExerciseMedia.objects.exists()
    assert api_client.get(exercise_url(exercise.slug)).status_code == 200


def test_a_full_store_is_told_apart():
    with pytest.raises(services.StorageFull), services._media_store():
        raise OSError(28, "No space left on device")
    with pytest.raises(services.StorageUnavailable), services._media_store():
        raise ConnectionRefusedError(111, "Connection refused")


def test_an_upload_of_a_png_with_transparency_keeps_it_in_its_renditions(
    trainer_client, exercise, django_capture_on_commit_callbacks
):
    picture = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    out = io.BytesIO()
    picture.save(out, format="PNG")

    with django_capture_on_commit_callbacks(execute=True):
        media_id = upload(trainer_client, exercise.slug, out.getvalue()).json()["id"]

    thumbnail = MediaRendition.objects.get(media_id=media_id, name="thumbnail")
    with Image.open(thumbnail.file.path) as made:
        assert made.mode == "RGBA"
