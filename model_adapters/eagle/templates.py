"""Conversation templates of the released Eagle checkpoints, and prompt tokenization with image slots.

Single-turn prompts only (evaluation never has earlier turns). The strings match the training code's
templates exactly (see docs/model.md for them written out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IMAGE_TOKEN_INDEX = -200
IMAGE_PLACEHOLDER = "<image>"

_VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)


@dataclass(frozen=True)
class Template:
    """`before + user_text + after` is the whole prompt; the model's answer follows it."""

    name: str
    before: str
    after: str

    def prompt(self, user_text: str) -> str:
        return self.before + user_text + self.after


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("vicuna_v1", _VICUNA_SYSTEM + " USER: ", " ASSISTANT:"),
        # The system text carries its own <|begin_of_text|> and the tokenizer adds another, as in training.
        Template(
            "llama3",
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + _VICUNA_SYSTEM
            + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n",
            "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        ),
        Template(
            "yi_34b_chatml_direct",
            "<|im_start|>system\nAnswer the questions.<|im_end|><|im_start|>user\n",
            "<|im_end|><|im_start|>assistant\n",
        ),
    )
}


def get_template(name: str) -> Template:
    if name not in TEMPLATES:
        raise KeyError(f"unknown conversation template '{name}'; known: {sorted(TEMPLATES)}")
    return TEMPLATES[name]


def place_images(text: str, num_images: int) -> str:
    """The user turn with one `<image>` per image.

    Text that already holds placeholders keeps them (each takes the next image; their number must
    match). Text without any gets them in front, one per image separated by spaces, then a newline:
    `<image>\\n{text}` for the usual single image, as the paper's harness did.
    """
    found = text.count(IMAGE_PLACEHOLDER)
    if found == 0:
        if num_images == 0:
            return text
        return " ".join([IMAGE_PLACEHOLDER] * num_images) + "\n" + text
    if found != num_images:
        raise ValueError(
            f"the request text holds {found} '{IMAGE_PLACEHOLDER}' placeholder(s) but carries {num_images} "
            "image(s); give one placeholder per image, or none to let the adapter place them"
        )
    return text


def tokenize_with_images(prompt: str, tokenizer: Any) -> list[int]:
    """Token ids of `prompt`, with IMAGE_TOKEN_INDEX where each `<image>` stood.

    Each text piece between placeholders is tokenized on its own (`tokenizer.encode`), as the training
    code did, so a piece starts with the tokenizer's prefix space: with the Vicuna (sentencepiece)
    tokenizer, "\\n…" after an image becomes "▁" (29871) then "<0x0A>" (13), and " and" becomes "▁" "▁and"
    (tokenization.SlowLlamaTokenizer keeps that under every transformers release). When the tokenizer
    adds BOS, only the first piece keeps it; for Llama-3 that is the tokenizer's BOS followed by the
    template's own, again as in training.
    """
    pieces = [list(tokenizer.encode(piece)) for piece in prompt.split(IMAGE_PLACEHOLDER)]
    bos = tokenizer.bos_token_id
    adds_bos = bos is not None and len(pieces[0]) > 0 and pieces[0][0] == bos
    ids: list[int] = [bos] if adds_bos else []
    for index, piece in enumerate(pieces):
        if index:
            ids.append(IMAGE_TOKEN_INDEX)
        # Every piece went through the tokenizer separately, so each carries the BOS it adds; drop it.
        ids.extend(piece[1:] if adds_bos else piece)
    return ids


def prompt_ids(template: Template, tokenizer: Any, text: str, num_images: int) -> list[int]:
    """The whole prompt of one request (its text and number of images) as the model receives it."""
    ids = tokenize_with_images(template.prompt(place_images(text, num_images)), tokenizer)
    if sum(1 for t in ids if t == IMAGE_TOKEN_INDEX) != num_images:
        raise ValueError(f"the tokenized prompt lost an image slot; the template {template.name} "
                         "must not contain '<image>' itself")
    return ids
