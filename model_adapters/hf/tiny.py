"""Tiny random transformers VLM checkpoints (LLaVA-1.5 and LLaVA-NeXT layouts) for tests and smoke runs.

Each is built from a config with random weights from a fixed seed and saved with `save_pretrained`
together with its processor (image processor, tokenizer, chat template), so loading it back goes
through exactly the path a hub checkpoint takes: `AutoProcessor` + `AutoModelForImageTextToText`.
Nothing is downloaded: the tokenizer is the sentencepiece one eagle-tiny trains offline, with the
`<image>` token added.

The chat template is written for these fixtures (the llava-hf checkpoints ship their own): the
user turn's parts in the order given, each image as `<image>\\n`, and `ASSISTANT:` as the
generation prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

TinyKind = Literal["llava", "llava-next"]
TINY_SEED = 20240918
TINY_KINDS: tuple[TinyKind, ...] = ("llava", "llava-next")

TINY_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'][0]['text'] + ' ' }}"
    "{% else %}{{ message['role'].upper() + ': ' }}"
    "{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<image>\\n' }}{% else %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{{ ' ' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)

_IMAGE_SIZE = 30
_PATCH = 6
# LLaVA-NeXT tiles: the base view plus a grid chosen from these (height, width) resolutions.
_GRID_PINPOINTS = [[30, 60], [60, 30], [60, 60]]


def write_tiny_vlm(directory: Path, kind: TinyKind = "llava", seed: int = TINY_SEED) -> Path:
    """Write a tiny random `kind` checkpoint with its processor into `directory`; returns it."""
    import torch
    from transformers import AutoTokenizer, CLIPVisionConfig, LlamaConfig

    from eagle_eval.model_adapters.eagle.tiny import write_tiny_tokenizer

    if kind not in TINY_KINDS:
        raise ValueError(f"unknown tiny VLM kind {kind!r}; choose one of {', '.join(TINY_KINDS)}")
    directory = Path(directory)
    write_tiny_tokenizer(directory)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    tokenizer.add_tokens(["<image>"], special_tokens=True)
    tokenizer.padding_side = "left"
    image_token_id = tokenizer.convert_tokens_to_ids("<image>")
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                              image_size=_IMAGE_SIZE, patch_size=_PATCH, projection_dim=32)
    text = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                       pad_token_id=0, bos_token_id=1, eos_token_id=2)
    torch.manual_seed(seed)
    model, processor = (_llava if kind == "llava" else _llava_next)(vision, text, tokenizer, image_token_id)
    model.generation_config.pad_token_id = 0
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
    return directory


def _llava(vision, text, tokenizer, image_token_id):
    from transformers import CLIPImageProcessor, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    config = LlavaConfig(vision_config=vision, text_config=text, image_token_id=image_token_id,
                         vision_feature_layer=-2, vision_feature_select_strategy="default")
    image_processor = CLIPImageProcessor(size={"shortest_edge": _IMAGE_SIZE},
                                         crop_size={"height": _IMAGE_SIZE, "width": _IMAGE_SIZE})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=_PATCH,
                               vision_feature_select_strategy="default", chat_template=TINY_CHAT_TEMPLATE,
                               num_additional_image_tokens=1)
    return LlavaForConditionalGeneration(config).eval(), processor


def _llava_next(vision, text, tokenizer, image_token_id):
    from transformers import (
        LlavaNextConfig,
        LlavaNextForConditionalGeneration,
        LlavaNextImageProcessor,
        LlavaNextProcessor,
    )

    config = LlavaNextConfig(vision_config=vision, text_config=text, image_token_index=image_token_id,
                             vision_feature_layer=-2, vision_feature_select_strategy="default",
                             image_grid_pinpoints=_GRID_PINPOINTS)
    image_processor = LlavaNextImageProcessor(size={"shortest_edge": _IMAGE_SIZE},
                                              crop_size={"height": _IMAGE_SIZE, "width": _IMAGE_SIZE},
                                              image_grid_pinpoints=_GRID_PINPOINTS)
    processor = LlavaNextProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=_PATCH,
                                   vision_feature_select_strategy="default", chat_template=TINY_CHAT_TEMPLATE,
                                   num_additional_image_tokens=1)
    return LlavaNextForConditionalGeneration(config).eval(), processor
