"""Safe image decoding: a pixel limit, a full decode check, and errors that say what to do.

One undecodable, truncated or oversized picture among thousands must cost one sample, not the run.
Dataset rows keep their images encoded (eagle_eval.data.rows.lazy_rows) and decode them here when a
request is built, so the error surfaces as that sample's recorded failure.

The pixel limit is EAGLE_EVAL_MAX_IMAGE_PIXELS (default: Pillow's MAX_IMAGE_PIXELS, 89.5 million,
far above any benchmark picture). It is checked from the file header, before the pixels are decoded,
so an image bomb never allocates its memory.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageFile

MAX_PIXELS_ENV = "EAGLE_EVAL_MAX_IMAGE_PIXELS"
DEFAULT_MAX_PIXELS = 89_478_485  # Pillow's own default MAX_IMAGE_PIXELS
_FIX = "re-fetch the dataset (the file may be damaged), or skip the sample: it is recorded as failed"


class ImageDecodeError(ValueError):
    """An image that cannot be used; the message says why and what to do."""


def max_pixels_from_env() -> int:
    raw = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(raw)
    except ValueError as err:
        raise ImageDecodeError(f"{MAX_PIXELS_ENV}={raw!r} is not an integer number of pixels") from err
    if value < 1:
        raise ImageDecodeError(f"{MAX_PIXELS_ENV}={raw!r} must be positive")
    return value


def _open(source: bytes | str | Path) -> Image.Image:
    return Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)


def check_pixels(source: bytes | str | Path, max_pixels: int, where: str = "image") -> tuple[int, int]:
    """Read only the header; raise ImageDecodeError when the image is over `max_pixels`."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (or raises) on its own limit; ours may be set higher or lower.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _bomb_limit(max_pixels), _open(source) as image:
                width, height = image.size
    except Image.DecompressionBombError as err:
        raise ImageDecodeError(f"{where}: {err}; raise {MAX_PIXELS_ENV} if the picture is genuine") from err
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageDecodeError(f"{where}: cannot decode the image ({err}); {_FIX}") from err
    if width * height > max_pixels:
        raise ImageDecodeError(
            f"{where}: image is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{max_pixels:,}; raise {MAX_PIXELS_ENV} if the picture is genuine"
        )
    return width, height


def decode_image(source: bytes | str | Path, where: str = "image", max_pixels: int | None = None) -> Image.Image:
    """Decode fully (a truncated file fails here, not later in the model), within the pixel limit."""
    limit = max_pixels if max_pixels is not None else max_pixels_from_env()
    check_pixels(source, limit, where)
    try:
        with warnings.catch_warnings(), _bomb_limit(limit):
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = _open(source)
            image.load()
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageDecodeError(f"{where}: cannot decode the image ({err}); {_FIX}") from err
    return image


@contextlib.contextmanager
def _bomb_limit(max_pixels: int) -> Iterator[None]:
    """Pillow's own guards, on while we decode, whatever other libraries set globally.

    Pillow refuses images over 2x MAX_IMAGE_PIXELS by itself: keep that at least as high as our limit.
    Some libraries switch the guard off (None) or set LOAD_TRUNCATED_IMAGES, which would let a
    truncated file decode as a half-grey picture; both are restored afterwards.
    """
    previous_limit, previous_truncated = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    Image.MAX_IMAGE_PIXELS = max_pixels if previous_limit is None else max(previous_limit, max_pixels)
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = previous_limit, previous_truncated


__all__ = [
    "DEFAULT_MAX_PIXELS",
    "ImageDecodeError",
    "MAX_PIXELS_ENV",
    "check_pixels",
    "decode_image",
    "max_pixels_from_env",
]
