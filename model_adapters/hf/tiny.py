"""Tiny random transformers VLM checkpoints (LLaVA-1.5, LLaVA-NeXT, Qwen2-VL layouts) for tests and smoke runs.

Each is built from a config with random weights from a fixed seed and saved with `save_pretrained`
together with its processor (image processor, tokenizer, chat template), so loading it back goes
through exactly the path a hub checkpoint takes: `AutoProcessor` + `AutoModelForImageTextToText`.
Nothing is downloaded: the tokenizer is the sentencepiece one eagle-tiny trains offline, with the
image tokens added. LLaVA-NeXT (any-resolution tiles) and Qwen2-VL (native resolution, 3-D rotary
positions) give a different number of image tokens per picture size, which is what makes batching
them hard.

The chat template is written for these fixtures (the hub checkpoints ship their own): the user
turn's parts in the order given, each image as the model's image text (`IMAGE_TEXT`), and
`ASSISTANT:` as the generation prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

TinyKind = Literal["llava", "llava-next", "qwen2-vl"]
TINY_SEED = 20240918
TINY_KINDS: tuple[TinyKind, ...] = ("llava", "llava-next", "qwen2-vl")
# What each image part of a message renders as; the processor expands it to the image's tokens.
IMAGE_TEXT: dict[str, str] = {"llava": "<image>\n", "llava-next": "<image>\n",
                              "qwen2-vl": "<|vision_start|><|image_pad|><|vision_end|>"}
_QWEN_TOKENS = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")


def tiny_chat_template(image_text: str) -> str:
    return (
        "{% for message in messages %}"
        "{% if message['role'] == 'system' %}{{ message['content'][0]['text'] + ' ' }}"
        "{% else %}{{ message['role'].upper() + ': ' }}"
        "{% for part in message['content'] %}"
        "{% if part['type'] == 'image' %}{{ " + repr(image_text) + " }}{% else %}{{ part['text'] }}{% endif %}"
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
    from transformers import AutoTokenizer

    from eagle_eval.model_adapters.eagle.tiny import write_tiny_tokenizer

    if kind not in TINY_KINDS:
        raise ValueError(f"unknown tiny VLM kind {kind!r}; choose one of {', '.join(TINY_KINDS)}")
    directory = Path(directory)
    write_tiny_tokenizer(directory)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    tokenizer.add_tokens(list(_QWEN_TOKENS) if kind == "qwen2-vl" else ["<image>"], special_tokens=True)
    tokenizer.padding_side = "left"
    template = tiny_chat_template(IMAGE_TEXT[kind])
    torch.manual_seed(seed)
    if kind == "qwen2-vl":
        model, processor = _qwen2_vl(tokenizer, template)
    else:
        model, processor = _llava_family(kind, tokenizer, template)
    model.generation_config.pad_token_id = 0
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
    return directory


def _text_config(vocab_size: int) -> dict:
    return dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                pad_token_id=0, bos_token_id=1, eos_token_id=2)


def _llava_family(kind: TinyKind, tokenizer, template: str):
    from transformers import CLIPVisionConfig, LlamaConfig

    image_token_id = tokenizer.convert_tokens_to_ids("<image>")
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                              image_size=_IMAGE_SIZE, patch_size=_PATCH, projection_dim=32)
    text = LlamaConfig(**_text_config(len(tokenizer)))
    build = _llava if kind == "llava" else _llava_next
    return build(vision, text, tokenizer, image_token_id, template)


def _qwen2_vl(tokenizer, template: str):
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in _QWEN_TOKENS}
    # head_dim 16: the 3-D rotary sections (time, height, width) split its 8 frequency pairs.
    text = {**_text_config(len(tokenizer)),
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]}}
    vision = dict(depth=2, embed_dim=32, hidden_size=64, num_heads=4, patch_size=14, spatial_merge_size=2,
                  temporal_patch_size=2, mlp_ratio=2)
    config = Qwen2VLConfig(text_config=text, vision_config=vision, image_token_id=ids["<|image_pad|>"],
                           video_token_id=ids["<|video_pad|>"], vision_start_token_id=ids["<|vision_start|>"],
                           vision_end_token_id=ids["<|vision_end|>"])
    # 4 to 16 merged tokens per image, by its size.
    image_processor = Qwen2VLImageProcessor(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16, patch_size=14,
                                            merge_size=2, temporal_patch_size=2)
    processor = Qwen2VLProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                 video_processor=Qwen2VLVideoProcessor(), chat_template=template)
    return Qwen2VLForConditionalGeneration(config).eval(), processor


def _llava(vision, text, tokenizer, image_token_id, template: str):
    from transformers import CLIPImageProcessor, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=image_token_id,
                         vision_feature_layer=-2, vision_feature_select_strategy="default")
    image_processor = CLIPImageProcessor(size={"shortest_edge": _IMAGE_SIZE},
                                         crop_size={"height": _IMAGE_SIZE, "width": _IMAGE_SIZE})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=_PATCH,
                               vision_feature_select_strategy="default", chat_template=template,
                               num_additional_image_tokens=1)
    return LlavaForConditionalGeneration(config).eval(), processor


def _llava_next(vision, text, tokenizer, image_token_id, template: str):
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
                                   vision_feature_select_strategy="default", chat_template=template,
                                   num_additional_image_tokens=1)
    return LlavaNextForConditionalGeneration(config).eval(), processor


def main(argv: list[str] | None = None) -> int:
    """`python -m eagle_eval.model_adapters.hf.tiny DIR [--kind llava|llava-next|qwen2-vl]`: try `hf:` offline."""
    from eagle_eval.core.help_format import help_parser

    parser = help_parser("python -m eagle_eval.model_adapters.hf.tiny",
                         "Write a tiny random transformers VLM checkpoint (no download) to run as --model hf:DIR.")
    parser.add_argument("directory", type=Path, help="folder to write the checkpoint and its processor into")
    parser.add_argument("--kind", choices=TINY_KINDS, default="llava", help="layout (default llava)")
    args = parser.parse_args(argv)
    print(write_tiny_vlm(args.directory, args.kind))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
