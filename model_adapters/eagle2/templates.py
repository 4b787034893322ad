"""The conversation template and the image-token expansion of the Eagle 2.5-format checkpoints.

What NVIDIA's `chat` / `batch_chat` (the path their Eagle 2 evaluation used) builds, single turn:

    <|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n<|im_start|>user\\n{user}<|im_end|>\\n<|im_start|>assistant\\n

(the `qwen2-chat` ChatML template with its default system message). The user turn is `<image>\\n{question}`
when the question has no `<image>` of its own; then each `<image>`, in order, becomes
`<img>` + `<IMG_CONTEXT>` × (256 × tiles of that image) + `</img>` (256 = tokens per tile of the released
checkpoints; the tiny test model has fewer). The tokenizer adds no BOS. Answers end at `<|im_end|>`.

The released hub processor's chat template writes `<image 1><img>…</img>{question}` instead (a numbered
label, no newline); the evaluation path above is the one NVIDIA published numbers with, so it is ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eagle_eval.core.records import IMAGE_PLACEHOLDER
from eagle_eval.model_adapters.eagle2.config import IMAGE_CONTEXT_TOKEN, IMAGE_END_TOKEN, IMAGE_START_TOKEN

SYSTEM_MESSAGE = "You are a helpful assistant."
BEFORE = f"<|im_start|>system\n{SYSTEM_MESSAGE}<|im_end|>\n<|im_start|>user\n"
AFTER = "<|im_end|>\n<|im_start|>assistant\n"


def place_images(text: str, num_images: int) -> str:
    """The user turn with one `<image>` per image: the text's own placeholders, each taking the next image
    (their number must match), or `<image>\\n` in front, once per image, when it has none."""
    found = text.count(IMAGE_PLACEHOLDER)
    if found == 0:
        return f"{IMAGE_PLACEHOLDER}\n" * num_images + text
    if found != num_images:
        raise ValueError(f"the request text holds {found} '{IMAGE_PLACEHOLDER}' placeholder(s) but carries "
                         f"{num_images} image(s); give one placeholder per image, or none")
    return text


def image_tokens(tiles: int, tokens_per_tile: int) -> str:
    return IMAGE_START_TOKEN + IMAGE_CONTEXT_TOKEN * (tiles * tokens_per_tile) + IMAGE_END_TOKEN


def prompt_text(text: str, tiles_per_image: Sequence[int], tokens_per_tile: int) -> str:
    """The whole prompt string, image tokens expanded, as NVIDIA's `chat` hands it to the tokenizer."""
    query = BEFORE + place_images(text, len(tiles_per_image)) + AFTER
    for tiles in tiles_per_image:
        query = query.replace(IMAGE_PLACEHOLDER, image_tokens(tiles, tokens_per_tile), 1)
    return query


def prompt_ids(tokenizer: Any, text: str, tiles_per_image: Sequence[int], tokens_per_tile: int) -> list[int]:
    return list(tokenizer(prompt_text(text, tiles_per_image, tokens_per_tile), add_special_tokens=True)["input_ids"])
