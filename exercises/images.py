"""Uploaded images: checked for what they really are, cleaned of metadata, and shrunk into
renditions. Pillow reads the file itself; neither the name nor the declared type is trusted."""

import io
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from hipflex_api.domain_errors import InvalidInput

from . import limits


class InvalidImage(InvalidInput):
    """The upload is not an image the catalog takes; the message says why, to a trainer."""


@dataclass(frozen=True)
class Picture:
    """An image as it is stored: its bytes, the extension its format is saved under, its size."""

    content: bytes
    extension: str
    width: int
    height: int


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def cleaned(upload: IO[bytes], size: int) -> Picture:
    """The upload as it will be kept: turned upright as its EXIF said, and saved again in its
    own format without EXIF (GPS included), XMP or text chunks. `size` is its length in bytes."""
    if size > limits.IMAGE_MAX_BYTES:
        raise InvalidImage(
            f"The image is {_megabytes(size)}; at most "
            f"{_megabytes(limits.IMAGE_MAX_BYTES)} is taken.",
            field="file",
        )
    accepted = ", ".join(limits.IMAGE_FORMATS)
    try:
        image = Image.open(upload)
    except (UnidentifiedImageError, OSError):
        raise InvalidImage(
            f"The file is not an image that can be read: send a {accepted} file.", field="file"
        ) from None
    with image:
        if image.format not in limits.IMAGE_FORMATS:
            raise InvalidImage(
                f"The file is a {image.format} image: send a {accepted} file.", field="file"
            )
        # From the header, before any pixel is decoded: a huge image is refused unread.
        if max(image.size) > limits.IMAGE_MAX_SIDE:
            width, height = image.size
            raise InvalidImage(
                f"The image is {width} by {height} pixels; each side may be at most "
                f"{limits.IMAGE_MAX_SIDE}.",
                field="file",
            )
        try:
            image.load()
        except (OSError, ValueError):
            raise InvalidImage("The image is damaged or cut short.", field="file") from None
        upright = ImageOps.exif_transpose(image)
        out = io.BytesIO()
        # Only what is passed here is written: no exif=, xmp= or pnginfo=, so none of them.
        # The colour profile stays, so that colours look as the photographer saw them.
        options = {"icc_profile": image.info.get("icc_profile")}
        if image.format in {"JPEG", "WEBP"}:
            options["quality"] = 95
        upright.save(out, format=image.format, **options)
        return Picture(
            content=out.getvalue(),
            extension=limits.IMAGE_FORMATS[image.format],
            width=upright.width,
            height=upright.height,
        )


def rendition(content: bytes, longest: int) -> Picture:
    """A WebP copy of a stored image that fits `longest` pixels a side (never enlarged)."""
    with Image.open(io.BytesIO(content)) as image:
        image.draft("RGB", (longest, longest))  # JPEG decodes at a fraction of its size.
        copy = image.convert("RGBA" if image.has_transparency_data else "RGB")
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="WEBP", quality=80, method=4)
    return Picture(content=out.getvalue(), extension="webp", width=copy.width, height=copy.height)
