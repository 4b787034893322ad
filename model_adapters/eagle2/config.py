"""The whole-model configuration of an Eagle 2.5-format checkpoint, and its config.json form.

A released checkpoint's config.json (`model_type "eagle_2_5_vl"`, NVIDIA's `Eagle2_5_VLConfig`) nests a
SigLIP vision config (`vision_config`, `model_type "siglip_vision_model"`, or `"siglip2_vision_model"`)
and a Qwen2 config (`text_config`, `architectures ["Qwen2ForCausalLM"]`) beside the multimodal keys read
here: `select_layer`, `downsample_ratio`, `use_pixel_shuffle`, `mlp_connector_layers`, `force_image_size`,
`min_dynamic_tiles`, `max_dynamic_tiles`, `use_thumbnail`, `image_token_index`, `template`.

The original Eagle 2 format (`Eagle2ChatModel`, the 9B's SigLIP + ConvNeXt tower) is read by chat_format.py's
`Eagle2ChatConfig`, a subclass; handed to this reader it is refused (`Eagle2FormatNotImplemented`) naming that one.
Values this implementation does not run (no pixel shuffle, a one-layer connector, another LLM) are errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eagle_eval.api.adapter import AdapterError
from eagle_eval.core import text_input
from eagle_eval.core.text_input import not_utf8_message

MODEL_TYPE = "eagle_2_5_vl"
ARCHITECTURE = "Eagle2_5_VLForConditionalGeneration"
ORIGINAL_EAGLE2_TYPES = ("eagle_chat",)
VISION_TYPES = ("siglip_vision_model", "siglip2_vision_model")
TEMPLATE = "qwen2-chat"
IMAGE_CONTEXT_TOKEN = "<IMG_CONTEXT>"
IMAGE_START_TOKEN = "<img>"
IMAGE_END_TOKEN = "</img>"

ORIGINAL_FORMAT = (
    "the original Eagle 2 format (Eagle2ChatModel, config 'eagle_chat': the 9B's SigLIP + ConvNeXt-XXL tower) has its "
    "own reader, chat_format.Eagle2ChatConfig; checkpoint.read_config picks the reader by model_type"
)


class Eagle2ConfigError(AdapterError, ValueError):
    """A config.json that is not an Eagle 2.5-format checkpoint this project can run (exit 2)."""


class Eagle2FormatNotImplemented(Eagle2ConfigError, NotImplementedError):
    """The original Eagle 2 format (9B) given to the Eagle 2.5 reader; the message names its own reader."""


def read_checkpoint_json(path: Path) -> Any:
    """One of a checkpoint's JSON files, or an error naming it."""
    try:
        return text_input.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise Eagle2ConfigError(not_utf8_message(path, error)) from None
    except ValueError as error:
        raise Eagle2ConfigError(f"{path}: not valid JSON ({error}); the checkpoint is damaged or incomplete: "
                                "download it again") from error


@dataclass
class Eagle2Config:
    """The vision and text configs as transformers objects, the multimodal keys as fields."""

    vision: Any  # transformers SiglipVisionConfig or Siglip2VisionConfig
    text: Any  # transformers Qwen2Config
    select_layer: int = -4
    downsample_ratio: float = 0.5
    force_image_size: int | None = None
    min_dynamic_tiles: int = 1
    max_dynamic_tiles: int = 12
    use_thumbnail: bool = True
    image_token_index: int = 151667
    template: str = TEMPLATE
    extra: dict[str, Any] = field(default_factory=dict)  # other keys of config.json, written back unchanged

    @property
    def tile_size(self) -> int:
        return int(self.force_image_size or self.vision.image_size)

    @property
    def patch_size(self) -> int:
        return int(self.vision.patch_size)

    @property
    def grid(self) -> int:
        """Patches per side of one tile."""
        return self.tile_size // self.patch_size

    @property
    def scale(self) -> int:
        """Patches merged per side by the pixel shuffle (2 at downsample_ratio 0.5)."""
        return round(1 / self.downsample_ratio)

    @property
    def tokens_per_tile(self) -> int:
        return (self.grid // self.scale) ** 2

    @property
    def projector_input_size(self) -> int:
        return int(self.vision.hidden_size) * self.scale ** 2

    @property
    def vision_type(self) -> str:
        return str(self.vision.model_type)

    @property
    def tie_word_embeddings(self) -> bool:
        return bool(getattr(self.text, "tie_word_embeddings", False))

    # --- config.json -----------------------------------------------------------------------------------

    @classmethod
    def from_json_dict(cls, data: dict[str, Any], source: str = "config.json") -> Eagle2Config:
        model_type = data.get("model_type")
        if model_type in ORIGINAL_EAGLE2_TYPES:
            raise Eagle2FormatNotImplemented(f"{source}: {ORIGINAL_FORMAT}")
        if model_type != MODEL_TYPE:
            raise Eagle2ConfigError(f"{source}: model_type is {model_type!r}, not {MODEL_TYPE!r}; is it an Eagle 2.5-"
                                    "format checkpoint (nvidia/Eagle2.5-8B, or the re-released Eagle2-1B/2B)?")
        _check_supported(data, source)
        vision = _vision_config(data.get("vision_config"), source)
        text = _text_config(data.get("text_config") or data.get("llm_config"), source)
        known = {"select_layer", "downsample_ratio", "force_image_size", "min_dynamic_tiles", "max_dynamic_tiles",
                 "use_thumbnail", "image_token_index", "template", "vision_config", "text_config", "llm_config"}
        config = cls(
            vision=vision, text=text,
            select_layer=int(data.get("select_layer", -4)),
            downsample_ratio=float(data.get("downsample_ratio", 0.5)),
            force_image_size=data.get("force_image_size"),
            min_dynamic_tiles=int(data.get("min_dynamic_tiles", 1)),
            max_dynamic_tiles=int(data.get("max_dynamic_tiles", 12)),
            use_thumbnail=bool(data.get("use_thumbnail", True)),
            image_token_index=int(data.get("image_token_index", 151667)),
            template=str(data.get("template") or TEMPLATE),
            extra={k: v for k, v in data.items() if k not in known},
        )
        config.check()
        return config

    def check(self) -> None:
        if self.template != TEMPLATE:
            raise Eagle2ConfigError(f"template {self.template!r} is not implemented; the released checkpoints use "
                                    f"{TEMPLATE!r}")
        if self.tile_size % self.patch_size or self.grid % self.scale:
            raise Eagle2ConfigError(f"tile size {self.tile_size} with patch {self.patch_size} gives a {self.grid}-patch "
                                    f"grid that a pixel shuffle of {self.downsample_ratio} cannot merge")
        layers = int(self.vision.num_hidden_layers)
        if not -layers - 1 <= self.select_layer <= layers:
            raise Eagle2ConfigError(f"select_layer {self.select_layer} is outside the vision model's "
                                    f"{layers} layers")
        if not 1 <= self.min_dynamic_tiles <= self.max_dynamic_tiles:
            raise Eagle2ConfigError(f"min/max_dynamic_tiles {self.min_dynamic_tiles}/{self.max_dynamic_tiles} "
                                    "must satisfy 1 <= min <= max")

    @classmethod
    def from_file(cls, path: str | Path) -> Eagle2Config:
        path = Path(path)
        data = read_checkpoint_json(path)
        if not isinstance(data, dict):
            raise Eagle2ConfigError(f"{path}: expected a JSON object, got {type(data).__name__}")
        return cls.from_json_dict(data, source=str(path))

    def to_json_dict(self) -> dict[str, Any]:
        vision = self.vision.to_dict()
        text = self.text.to_dict()
        text["architectures"] = ["Qwen2ForCausalLM"]
        return {
            **self.extra,
            "model_type": MODEL_TYPE, "architectures": [ARCHITECTURE],
            "vision_config": vision, "text_config": text,
            "select_layer": self.select_layer, "downsample_ratio": self.downsample_ratio,
            "force_image_size": self.force_image_size, "min_dynamic_tiles": self.min_dynamic_tiles,
            "max_dynamic_tiles": self.max_dynamic_tiles, "use_thumbnail": self.use_thumbnail,
            "dynamic_image_size": True, "use_pixel_shuffle": True, "mlp_connector_layers": 2,
            "image_token_index": self.image_token_index, "template": self.template,
            "tie_word_embeddings": self.tie_word_embeddings,
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json_dict(), indent=2, sort_keys=True, default=str) + "\n")


# Values we run; anything else is an error rather than a silent approximation.
_SUPPORTED: dict[str, tuple[Any, ...]] = {
    "use_pixel_shuffle": (True,),
    "mlp_connector_layers": (2,),
    "pad2square": (False,),
    "use_backbone_lora": (0, False),
    "use_llm_lora": (0, False),
}


def _check_supported(data: dict[str, Any], source: str) -> None:
    for key, allowed in _SUPPORTED.items():
        if key in data and data[key] not in allowed:
            raise Eagle2ConfigError(f"{source}: {key}={data[key]!r} is not implemented (supported: "
                                    f"{', '.join(map(repr, allowed))})")
    ratio = data.get("downsample_ratio", 0.5)
    if ratio != 0.5:
        raise Eagle2ConfigError(f"{source}: downsample_ratio={ratio!r} is not implemented (the released checkpoints "
                                "use 0.5)")


def _clean(sub: dict[str, Any]) -> dict[str, Any]:
    # transformers 4.51's serialised bookkeeping, which 5.x configs do not take as arguments.
    return {k: v for k, v in sub.items()
            if k not in ("transformers_version", "_attn_implementation_autoset", "torch_dtype", "_name_or_path")}


def _vision_config(sub: Any, source: str) -> Any:
    if not isinstance(sub, dict):
        raise Eagle2ConfigError(f"{source}: no 'vision_config' object")
    kind = sub.get("model_type")
    if kind not in VISION_TYPES:
        raise Eagle2ConfigError(f"{source}: vision_config.model_type {kind!r} is not implemented "
                                f"(supported: {', '.join(VISION_TYPES)})")
    from transformers import Siglip2VisionConfig, SiglipVisionConfig

    config_class = SiglipVisionConfig if kind == "siglip_vision_model" else Siglip2VisionConfig
    config = config_class(**_clean(sub))
    config._attn_implementation = "sdpa"
    return config


def _text_config(sub: Any, source: str) -> Any:
    if not isinstance(sub, dict):
        raise Eagle2ConfigError(f"{source}: no 'text_config' object")
    architectures = sub.get("architectures") or ["Qwen2ForCausalLM"]
    if architectures[0] != "Qwen2ForCausalLM":
        raise Eagle2ConfigError(f"{source}: text_config architecture {architectures[0]!r} is not implemented "
                                "(supported: Qwen2ForCausalLM)")
    from transformers import Qwen2Config

    config = Qwen2Config(**_clean(sub))
    config._attn_implementation = "sdpa"
    return config
