"""Sample images as small inline JPEGs, within a stated byte budget for the whole page.

Every thumbnail is first made at `max_side` pixels on its longer side. When their total (as base64
in the page) passes the budget, all of them are made again from those JPEGs at a side scaled by the
square root of the overshoot (JPEG size grows with the pixel count), down to `MIN_SIDE`; what still
does not fit is left out and counted. Identical pictures (POPE asks many questions of one image)
are stored once. Small originals (at most 512 x 512 pixels and 48 KB as JPEG) are also embedded at full size,
under a budget of their own, for the click-to-enlarge view. With an image folder, every original is
also written there as a JPEG file and the page links it by a path relative to the page, so the
enlarged view shows the full picture wherever the folder travels with the page.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
from pathlib import Path

from PIL import Image

from eagle_eval.report.view import ImageBudget

DEFAULT_MAX_SIDE = 128
DEFAULT_BUDGET_BYTES = 8 * 1024 * 1024
MIN_SIDE = 24
THUMB_QUALITY = 70
FULL_MAX_BYTES = 48 * 1024
FULL_BUDGET_BYTES = 2 * 1024 * 1024
# Only pictures this small are tried at full size: encoding every large original to learn that it
# is over FULL_MAX_BYTES would double the cost of a 5,000-image report.
FULL_MAX_PIXELS = 512 * 512


def _jpeg(image: Image.Image, side: int | None, quality: int) -> bytes:
    picture = image.convert("RGB")
    if side is not None and max(picture.size) > side:
        picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _data_uri(data: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _encoded_size(data: bytes) -> int:
    return 4 * math.ceil(len(data) / 3) + len("data:image/jpeg;base64,")


class ThumbnailStore:
    """Collects the images of a report; `finish` fits them into the budget and returns them."""

    def __init__(
        self,
        max_side: int = DEFAULT_MAX_SIDE,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        full_budget_bytes: int = FULL_BUDGET_BYTES,
        image_dir: Path | None = None,
        image_href: str = "",
    ) -> None:
        self.max_side = max_side
        self.budget_bytes = budget_bytes
        self.full_budget_bytes = full_budget_bytes
        self._thumbs: dict[str, bytes] = {}
        self._sizes: dict[str, str] = {}
        self._full: dict[str, bytes] = {}
        self._full_used = 0
        self.image_dir, self.image_href = image_dir, image_href.rstrip("/")
        self._files: dict[str, str] = {}

    def add(self, image: Image.Image) -> str:
        digest = hashlib.sha256(f"{image.mode}{image.size}".encode() + image.tobytes()).hexdigest()[:16]
        if digest in self._thumbs:
            return digest
        self._thumbs[digest] = _jpeg(image, self.max_side, THUMB_QUALITY)
        self._sizes[digest] = f"{image.size[0]}x{image.size[1]}"
        if self.image_dir is not None:
            self.image_dir.mkdir(parents=True, exist_ok=True)
            (self.image_dir / f"{digest}.jpg").write_bytes(_jpeg(image, None, 90))
            self._files[digest] = f"{self.image_href}/{digest}.jpg" if self.image_href else f"{digest}.jpg"
        if max(image.size) > self.max_side and image.size[0] * image.size[1] <= FULL_MAX_PIXELS:
            full = _jpeg(image, None, 85)
            cost = _encoded_size(full)
            if len(full) <= FULL_MAX_BYTES and self._full_used + cost <= self.full_budget_bytes:
                self._full[digest] = full
                self._full_used += cost
        return digest

    def finish(self) -> tuple[dict[str, dict[str, str]], ImageBudget]:
        thumbs = dict(self._thumbs)
        side = self.max_side
        total = sum(_encoded_size(data) for data in thumbs.values())
        while total > self.budget_bytes and side > MIN_SIDE:
            side = max(MIN_SIDE, int(side * math.sqrt(self.budget_bytes / total) * 0.95))
            thumbs = {key: _jpeg(Image.open(io.BytesIO(data)), side, THUMB_QUALITY) for key, data in thumbs.items()}
            total = sum(_encoded_size(data) for data in thumbs.values())
        images: dict[str, dict[str, str]] = {}
        used = full_used = left_out = 0
        for key, data in thumbs.items():
            cost = _encoded_size(data)
            if used + cost > self.budget_bytes:
                left_out += 1
                images[key] = {"size": self._sizes[key]}
                continue
            used += cost
            images[key] = {"thumb": _data_uri(data), "size": self._sizes[key]}
            if key in self._files:
                images[key]["href"] = self._files[key]
            if key in self._full:
                images[key]["full"] = _data_uri(self._full[key])
                full_used += _encoded_size(self._full[key])
        budget = ImageBudget(
            max_side=side,
            budget_bytes=self.budget_bytes,
            used_bytes=used + full_used,
            n_thumbnails=len(thumbs) - left_out,
            n_full=sum(1 for entry in images.values() if "full" in entry),
            n_left_out=left_out,
        )
        return images, budget
