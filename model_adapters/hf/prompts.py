"""A request as chat messages, rendered with the checkpoint's own chat template.

The task's text becomes one user turn of typed parts, interleaved as eagle_eval.core.prompt_parts says:
each `<image>` marker becomes an image part at that place (MMMU's inline images); a text without
markers gets its images first, which is how the llava-hf model cards and their templates order a
single-image question. Where the images finally go in the token sequence is the template's and
processor's business.
"""

from __future__ import annotations

from typing import Any

from eagle_eval.core.prompt_parts import interleaved_parts
from eagle_eval.core.records import Request

Message = dict[str, Any]


class PromptError(ValueError):
    """A request that cannot become a prompt for this checkpoint (the message says why and what to do)."""


def request_messages(request: Request, system_prompt: str | None = None) -> list[Message]:
    """The conversation for one request: an optional system turn and the user turn."""
    parts = [{"type": "image"} if part.image is not None else {"type": "text", "text": part.text}
             for part in interleaved_parts(request)]
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
