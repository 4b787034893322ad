"""A request as OpenAI chat messages: text parts and images as base64 data URLs, in the request's order.

The parts are interleaved as eagle_eval.core.prompt_parts says: each `<image>` marker in the request text
becomes an image part at that place (MMMU's inline images); a text without markers gets its images
first, then the text, the order the OpenAI vision guide and most served VLMs' chat templates use. Images are sent as PNG (lossless,
so the server sees the pixels the task decoded) unless `image_format=jpeg` is asked for.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image

from eagle_eval.core.prompt_parts import interleaved_parts
from eagle_eval.core.records import Request

Message = dict[str, Any]
IMAGE_FORMATS = ("png", "jpeg")


def image_data_url(image: Image.Image, image_format: str = "png") -> str:
    buffer = io.BytesIO()
    if image_format == "jpeg":
        image.convert("RGB").save(buffer, format="JPEG", quality=95)
    else:
        image.save(buffer, format="PNG")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/{image_format};base64,{encoded}"


def request_messages(request: Request, system_prompt: str | None = None, image_format: str = "png") -> list[Message]:
    parts: list[dict[str, Any]] = []
    for part in interleaved_parts(request):
        if part.image is None:
            parts.append({"type": "text", "text": part.text})
        else:
            url = image_data_url(request.images[part.image], image_format)
            parts.append({"type": "image_url", "image_url": {"url": url}})
    messages: list[Message] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": parts})
    return messages
