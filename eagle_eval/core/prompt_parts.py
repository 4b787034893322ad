"""A request's text and images as one interleaved sequence, for adapters that speak in typed message parts.

Each `<image>` marker in the text becomes the next image at that place (MMMU's inline images); a text
without markers gets its images first, then the text, the order single-image chat templates and the
OpenAI vision API use. Adapters map the parts to their own message format (transformers chat
templates, OpenAI content parts); where the images finally go in the token sequence is theirs to say.
"""

from __future__ import annotations

from dataclasses import dataclass

from eagle_eval.core.records import IMAGE_PLACEHOLDER, Request


class ImageMarkerMismatch(ValueError):
    """A request whose `<image>` markers and images do not pair up (the task's bug, named)."""


@dataclass(frozen=True)
class Part:
    """Either a piece of text or the index of one of the request's images."""

    text: str | None = None
    image: int | None = None


def interleaved_parts(request: Request) -> list[Part]:
    pieces = request.text.split(IMAGE_PLACEHOLDER)
    markers = len(pieces) - 1
    if markers and markers != len(request.images):
        raise ImageMarkerMismatch(
            f"request {request.key}: the text has {markers} '{IMAGE_PLACEHOLDER}' placeholders but "
            f"{len(request.images)} images; a task must give one image per placeholder"
        )
    if not markers:
        return [Part(image=index) for index in range(len(request.images))] + [Part(text=request.text)]
    parts: list[Part] = []
    for index, piece in enumerate(pieces):
        if piece:
            parts.append(Part(text=piece))
        if index < markers:
            parts.append(Part(image=index))
    return parts
