"""Safe image decoding: a pixel limit, a full decode check, and errors that say what to do.

One undecodable, truncated or oversized picture among thousands must cost one sample, not the run.
`datasets` decodes every image of a split while the rows are read, so a single bad file would stop
`Task.load_docs`. Inside `tolerant_image_decoding()` an image that cannot be decoded, or whose size is
over the pixel limit, becomes an `UnreadableImage`: reading the row works, and the first use of the
image (`.convert`, `.size`, ...) raises `ImageDecodeError` with the reason, which the runner records
as that sample's error.

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
from typing import Any

from PIL import Image

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
    """Pillow refuses images over 2x MAX_IMAGE_PIXELS by itself; keep that at least as high as ours."""
    previous = Image.MAX_IMAGE_PIXELS
    if previous is not None and previous < max_pixels:
        Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


class UnreadableImage:
    """Stands in for an image that failed to decode; any use raises ImageDecodeError with the reason."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __getattr__(self, name: str) -> Any:
        raise ImageDecodeError(self.reason)

    def __repr__(self) -> str:
        return f"UnreadableImage({self.reason!r})"


@contextlib.contextmanager
def tolerant_image_decoding(max_pixels: int | None = None) -> Iterator[None]:
    """While active, `datasets` image columns decode bad images to UnreadableImage instead of raising.

    datasets offers no per-row error hook for its Image feature, so this wraps
    `datasets.Image.decode_example` for the duration of the block (docs loading) and restores it.
    """
    import datasets

    limit = max_pixels if max_pixels is not None else max_pixels_from_env()
    original = datasets.Image.decode_example

    def decode_example(self: Any, value: Any, token_per_repo_id: Any = None) -> Any:
        try:
            source = _local_source(value)
            if source is not None:
                check_pixels(source, limit)
            with warnings.catch_warnings(), _bomb_limit(limit):
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                return original(self, value, token_per_repo_id)
        except ImageDecodeError as err:
            return UnreadableImage(str(err).removeprefix("image: "))
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
            return UnreadableImage(f"cannot decode the image ({type(err).__name__}: {err}); {_FIX}")

    datasets.Image.decode_example = decode_example  # type: ignore[method-assign]
    try:
        yield
    finally:
        datasets.Image.decode_example = original  # type: ignore[method-assign]


def _local_source(value: Any) -> bytes | str | None:
    """The bytes or local path datasets would open, when it is one of those."""
    if isinstance(value, str):
        return value if Path(value).is_file() else None
    if isinstance(value, dict):
        if value.get("bytes") is not None:
            return value["bytes"]
        path = value.get("path")
        if path and Path(path).is_file():
            return path
    return None


__all__ = [
    "DEFAULT_MAX_PIXELS",
    "ImageDecodeError",
    "MAX_PIXELS_ENV",
    "UnreadableImage",
    "check_pixels",
    "decode_image",
    "max_pixels_from_env",
    "tolerant_image_decoding",
]
