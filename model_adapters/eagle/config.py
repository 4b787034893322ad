"""The whole-model configuration of an Eagle (v1) checkpoint, and its config.json form.

A released checkpoint's config.json is a Llama config (`model_type "eagle_llama"`) with a handful of
multimodal keys added. `EagleConfig` keeps the Llama part as a transformers `LlamaConfig` (so the LLM
is exactly transformers' Llama) and the multimodal part as typed fields.

Keys this project adds to config.json, absent from the released checkpoints:
- `eagle_eval_tiny_vision`: the tiny test checkpoint uses the tiny expert sizes (`VisionTowerConfig.parse(…, tiny=True)`).
- `eagle_eval_template`: the conversation template, when it cannot be read off the LLM (see `infer_template`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import LlamaConfig

from eagle_eval.api.adapter import AdapterError
from eagle_eval.core import text_input
from eagle_eval.core.text_input import not_utf8_message
from eagle_eval.model_adapters.eagle.vision_config import VisionTowerConfig

MODEL_TYPE = "eagle_llama"
ARCHITECTURE = "EagleLlamaForCausalLM"
TEMPLATES = ("vicuna_v1", "llama3", "yi_34b_chatml_direct")

# Multimodal keys written next to the Llama keys; everything else in config.json belongs to LlamaConfig.
_MM_KEYS = (
    "mm_vision_tower",
    "mm_hidden_size",
    "mm_projector_type",
    "image_aspect_ratio",
    "mm_patch_merge_type",
    "mm_use_im_start_end",
    "mm_use_im_patch_token",
    "mm_vision_select_layer",
    "mm_vision_select_feature",
    "eagle_eval_tiny_vision",
    "eagle_eval_template",
    "tokenizer_model_max_length",
)
# Values this implementation supports; anything else is an error, not a silent approximation.
_SUPPORTED = {
    "image_aspect_ratio": ("pad",),
    "mm_patch_merge_type": ("flat",),
    "mm_use_im_start_end": (False,),
}


class EagleConfigError(AdapterError, ValueError):
    """A config.json that is not an Eagle (v1) checkpoint this project can run (exit 2)."""


def read_checkpoint_json(path: Path) -> Any:
    """One of a checkpoint's JSON files (config, index, generation config), or an error naming it."""
    try:
        return text_input.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise EagleConfigError(not_utf8_message(path, error)) from None
    except ValueError as error:
        raise EagleConfigError(f"{path}: not valid JSON ({error}); the checkpoint is damaged or incomplete: "
                               "download it again") from error


def infer_template(llm: LlamaConfig) -> str:
    """The conversation template the released checkpoints were trained with, read off the LLM's vocabulary.

    Llama-3 (vocab 128,256 + `<pad>`) uses llama3; Yi-34B (vocab 64,000) uses yi_34b_chatml_direct;
    the Vicuna models (vocab 32,000) use vicuna_v1.
    """
    if llm.vocab_size >= 128_000:
        return "llama3"
    if llm.vocab_size == 64_000:
        return "yi_34b_chatml_direct"
    return "vicuna_v1"


@dataclass
class EagleConfig:
    llm: LlamaConfig
    vision: VisionTowerConfig
    mm_hidden_size: int
    mm_projector_type: str = "mlp2x_gelu"
    image_aspect_ratio: str = "pad"
    mm_patch_merge_type: str = "flat"
    template: str = "vicuna_v1"
    tiny_vision: bool = False
    # The authors' training script stores the tokenizer's model_max_length here, and their inference
    # code cuts every input row to it after the image embeddings are spliced in (2048 in their scripts).
    tokenizer_model_max_length: int | None = None

    def __post_init__(self) -> None:
        if self.mm_hidden_size != self.vision.hidden_size:
            raise EagleConfigError(
                f"mm_hidden_size {self.mm_hidden_size} does not match the experts in mm_vision_tower "
                f"'{self.vision.mm_vision_tower}' ({self.vision.hidden_size} channels); fix config.json"
            )
        if self.template not in TEMPLATES:
            raise EagleConfigError(f"unknown conversation template '{self.template}'; known: {TEMPLATES}")

    @property
    def hidden_size(self) -> int:
        return self.llm.hidden_size

    @property
    def image_tokens(self) -> int:
        """Embeddings one image contributes to the LLM input."""
        return self.vision.num_tokens

    def to_json_dict(self) -> dict[str, Any]:
        data = self.llm.to_dict()
        data.update(
            model_type=MODEL_TYPE,
            architectures=[ARCHITECTURE],
            mm_vision_tower=self.vision.mm_vision_tower,
            mm_hidden_size=self.mm_hidden_size,
            mm_projector_type=self.mm_projector_type,
            image_aspect_ratio=self.image_aspect_ratio,
            mm_patch_merge_type=self.mm_patch_merge_type,
            mm_use_im_start_end=False,
            mm_use_im_patch_token=False,
            mm_vision_select_layer=-2,
            mm_vision_select_feature="patch",
        )
        if self.tiny_vision:
            data["eagle_eval_tiny_vision"] = True
        if self.tokenizer_model_max_length is not None:
            data["tokenizer_model_max_length"] = self.tokenizer_model_max_length
        if self.template != infer_template(self.llm):
            data["eagle_eval_template"] = self.template
        return data

    @classmethod
    def from_json_dict(cls, data: dict[str, Any], source: str = "config.json") -> EagleConfig:
        if data.get("model_type") != MODEL_TYPE:
            raise EagleConfigError(
                f"{source}: model_type is {data.get('model_type')!r}, expected '{MODEL_TYPE}'; "
                "this adapter loads Eagle v1 checkpoints (NVEagle/Eagle-X4/X5-*) only"
            )
        for key in ("mm_vision_tower", "mm_hidden_size"):
            if key not in data:
                raise EagleConfigError(f"{source}: missing key '{key}'; an Eagle config.json must carry it")
        for key, allowed in _SUPPORTED.items():
            if key in data and data[key] not in allowed:
                raise EagleConfigError(
                    f"{source}: {key}={data[key]!r} is not supported (supported: {list(allowed)})"
                )
        projector = data.get("mm_projector_type", "linear")
        llm_keys = {k: v for k, v in data.items() if k not in _MM_KEYS and k not in ("model_type", "architectures")}
        llm = LlamaConfig(**llm_keys)
        tiny = bool(data.get("eagle_eval_tiny_vision", False))
        max_length = data.get("tokenizer_model_max_length")
        if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1):
            raise EagleConfigError(f"{source}: tokenizer_model_max_length={max_length!r} must be a positive integer")
        vision = VisionTowerConfig.parse(data["mm_vision_tower"], tiny=tiny)
        return cls(
            llm=llm,
            vision=vision,
            mm_hidden_size=int(data["mm_hidden_size"]),
            mm_projector_type=projector,
            image_aspect_ratio=data.get("image_aspect_ratio", "pad"),
            mm_patch_merge_type=data.get("mm_patch_merge_type", "flat"),
            template=data.get("eagle_eval_template") or infer_template(llm),
            tiny_vision=tiny,
            tokenizer_model_max_length=max_length,
        )

    @classmethod
    def from_file(cls, path: str | Path) -> EagleConfig:
        path = Path(path)
        data = read_checkpoint_json(path)
        if not isinstance(data, dict):
            raise EagleConfigError(f"{path}: expected a JSON object, got {type(data).__name__}; is it a checkpoint's config.json?")
        return cls.from_json_dict(data, source=str(path))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json_dict(), indent=2, sort_keys=True) + "\n")
