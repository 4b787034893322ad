"""A request as OpenAI chat messages: text parts and images as base64 data URLs, in the request's order.

Each `<image>` marker in the request text becomes an image part at that place (MMMU's inline images);
a text without markers gets its images first, then the text, the order the OpenAI vision guide and
most served VLMs' chat templates use for a single-image question. Images are sent as PNG (lossless,
so the server sees the pixels the task decoded) unless `image_format=jpeg` is asked for.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image

from eagle_eval.records import IMAGE_PLACEHOLDER, Request

Message = dict[str, Any]
IMAGE_FORMATS = ("png", "jpeg")


class RequestShapeError(ValueError):
    """A request whose `<image>` markers and images do not pair up (the task's bug, named)."""


def image_data_url(image: Image.Image, image_format: str = "png") -> str:
    buffer = io.BytesIO()
    if image_format == "jpeg":
        image.convert("RGB").save(buffer, format="JPEG", quality=95)
    else:
        image.save(buffer, format="PNG")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/{image_format};base64,{encoded}"


def request_messages(request: Request, system_prompt: str | None = None, image_format: str = "png") -> list[Message]:
    pieces = request.text.split(IMAGE_PLACEHOLDER)
    markers = len(pieces) - 1
    if markers and markers != len(request.images):
        raise RequestShapeError(
            f"request {request.key}: the text has {markers} '{IMAGE_PLACEHOLDER}' placeholders but "
            f"{len(request.images)} images; a task must give one image per placeholder"
        )
    images = iter(request.images)

    def image_part() -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": image_data_url(next(images), image_format)}}

    parts: list[dict[str, Any]] = []
    if markers:
        for index, piece in enumerate(pieces):
            if piece:
                parts.append({"type": "text", "text": piece})
            if index < markers:
                parts.append(image_part())
    else:
        parts.extend(image_part() for _ in request.images)
        parts.append({"type": "text", "text": request.text})
    messages: list[Message] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": parts})
    return messages
