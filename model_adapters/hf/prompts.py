"""A request as chat messages, rendered with the checkpoint's own chat template.

The task's text becomes one user turn of typed parts. Each `<image>` marker in the text becomes an
image part at that place (MMMU's inline images); a text without markers gets its images first, then
the text, which is how the llava-hf model cards and their templates order a single-image question.
Where the images finally go in the token sequence is the template's and processor's business.
"""

from __future__ import annotations

from typing import Any

from eagle_eval.records import IMAGE_PLACEHOLDER, Request

Message = dict[str, Any]


class PromptError(ValueError):
    """A request that cannot become a prompt for this checkpoint (the message says why and what to do)."""


def request_messages(request: Request, system_prompt: str | None = None) -> list[Message]:
    """The conversation for one request: an optional system turn and the user turn."""
    pieces = request.text.split(IMAGE_PLACEHOLDER)
    markers = len(pieces) - 1
    if markers and markers != len(request.images):
        raise PromptError(
            f"request {request.key}: the text has {markers} '{IMAGE_PLACEHOLDER}' placeholders but "
            f"{len(request.images)} images; a task must give one image per placeholder"
        )
    parts: list[dict[str, str]] = []
    if markers:
        for index, piece in enumerate(pieces):
            if piece:
                parts.append({"type": "text", "text": piece})
            if index < markers:
                parts.append({"type": "image"})
    else:
        parts.extend({"type": "image"} for _ in request.images)
        parts.append({"type": "text", "text": request.text})
    messages: list[Message] = []
    if system_prompt:
        messages.append({"role": "system", "content": [{"type": "text", "text": system_prompt}]})
    messages.append({"role": "user", "content": parts})
    return messages


def render_prompt(processor: Any, messages: list[Message]) -> str:
    """The prompt text the checkpoint's chat template makes of `messages`, ready for generation."""
    if not getattr(processor, "chat_template", None):
        raise PromptError(
            "the checkpoint has no chat template (chat_template.jinja or the processor's chat_template); "
            "pass one with --model-arg chat_template=PATH.jinja"
        )
    return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
