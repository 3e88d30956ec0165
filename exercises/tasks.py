import logging
from typing import Any

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)

# Tries, a minute apart at most, before an image is left without renditions (the API then
# serves the image alone; saving the media again in the admin asks for them again).
_MAX_RETRIES = 10


@shared_task(bind=True, name="exercises.make_renditions")
def make_renditions(self: Any, media_id: int, file_name: str) -> int:
    """The renditions of one uploaded image (services.media_make_renditions)."""
    try:
        return services.media_make_renditions(media_id=media_id, file_name=file_name)
    except services.StorageUnavailable as exc:
        if self.request.is_eager or self.request.retries >= _MAX_RETRIES:
            logger.error("No renditions of media %s: the media store failed", media_id)
            return 0
        raise self.retry(exc=exc, countdown=min(5 * 2**self.request.retries, 60)) from None
