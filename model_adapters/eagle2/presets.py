"""The released Eagle 2 / 2.5 checkpoints, with their architecture built in, and the tiny test model.

The architecture is known without a download (public Qwen2.5 and SigLIP sizes), so `models show
--state-dict` and the FLOP counts work offline; loading a real checkpoint reads its own config.json.

Vision encoders: Eagle2-1B/2B use SigLIP so400m from PaliGemma-448 (patch 14 at 448 px: 32×32 patches,
256 tokens per tile after the pixel shuffle). Eagle2.5-8B names SigLIP2 so400m-patch16-512 (NVlabs/Eagle
README); its fixed-resolution checkpoints are SigLIP-architecture models, and 512 px at patch 16 gives the
same 32×32 grid and 256 tokens per tile, so the preset builds that. These are what the presets *list*;
the hub config.json of a checkpoint, when loaded, decides.

Revisions: the hub commits of the nvidia/Eagle2* repositories could not be looked up offline (as for the
Eagle-X presets), so every preset pins `"main"`; pass `--revision <commit>` to pin a run (results.json
records it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eagle_eval.model_adapters.eagle2.config import Eagle2Config


@dataclass(frozen=True)
class QwenSize:
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    vocab_size: int
    tie_word_embeddings: bool
    rope_theta: float = 1_000_000.0
    max_position_embeddings: int = 32768
    initializer_range: float = 0.02

    def to_dict(self) -> dict[str, Any]:
        return {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": self.hidden_size,
                "intermediate_size": self.intermediate_size, "num_hidden_layers": self.num_hidden_layers,
                "num_attention_heads": self.num_attention_heads, "num_key_value_heads": self.num_key_value_heads,
                "vocab_size": self.vocab_size, "tie_word_embeddings": self.tie_word_embeddings,
                "rope_theta": self.rope_theta, "max_position_embeddings": self.max_position_embeddings,
                "rms_norm_eps": 1e-6, "hidden_act": "silu", "initializer_range": self.initializer_range,
                "bos_token_id": 151643, "eos_token_id": 151645, "use_sliding_window": False}


@dataclass(frozen=True)
class SiglipSize:
    image_size: int
    patch_size: int
    hidden_size: int = 1152
    intermediate_size: int = 4304
    num_hidden_layers: int = 27
    num_attention_heads: int = 16

    def to_dict(self) -> dict[str, Any]:
        return {"model_type": "siglip_vision_model", "image_size": self.image_size, "patch_size": self.patch_size,
                "hidden_size": self.hidden_size, "intermediate_size": self.intermediate_size,
                "num_hidden_layers": self.num_hidden_layers, "num_attention_heads": self.num_attention_heads,
                "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-6}


QWEN25_05B = QwenSize(896, 4864, 24, 14, 2, 151936, True)
QWEN25_15B = QwenSize(1536, 8960, 28, 12, 2, 151936, True)
QWEN25_7B = QwenSize(3584, 18944, 28, 28, 4, 152064, False)
SIGLIP_448 = SiglipSize(448, 14)
SIGLIP2_512 = SiglipSize(512, 16)
TINY_QWEN = QwenSize(64, 128, 2, 4, 2, 0, False, rope_theta=10000.0, max_position_embeddings=4096,
                     initializer_range=0.2)
TINY_SIGLIP = SiglipSize(28, 7, hidden_size=32, intermediate_size=64, num_hidden_layers=4, num_attention_heads=2)


@dataclass(frozen=True)
class Preset:
    name: str
    hub_id: str | None
    llm_name: str
    vision_name: str
    llm: QwenSize
    vision: SiglipSize
    format: str = "eagle2.5"  # or "eagle2" (the original Eagle2ChatModel format: 9B's SigLIP + ConvNeXt)
    revision: str = "main"
    tiny: bool = False
    reference: str | None = None  # the published row (NVIDIA's README numbers) this checkpoint is compared with

    @property
    def implemented(self) -> bool:
        return self.format in ("eagle2.5", "eagle2")

    @property
    def description(self) -> str:
        if self.tiny:
            return "tiny random Eagle 2.5-format model for tests (tiny Qwen2, tiny SigLIP), built locally"
        kind = "Eagle 2.5 format" if self.format == "eagle2.5" else "original Eagle 2 format, Eagle2ChatModel"
        return f"{self.vision_name} + {self.llm_name} ({self.hub_id}, {kind})"

    def config_dict(self, vocab_size: int | None = None, image_token_index: int = 151667) -> dict[str, Any]:
        text = self.llm.to_dict()
        if vocab_size is not None:
            text["vocab_size"] = vocab_size
            if vocab_size <= max(text["bos_token_id"], text["eos_token_id"]):  # a tiny vocabulary has its own
                text.update(bos_token_id=None, eos_token_id=None)
        return {"model_type": "eagle_2_5_vl", "vision_config": self.vision.to_dict(), "text_config": text,
                "select_layer": -4, "downsample_ratio": 0.5, "min_dynamic_tiles": 1, "max_dynamic_tiles": 12,
                "use_thumbnail": True, "image_token_index": image_token_index, "template": "qwen2-chat",
                "use_pixel_shuffle": True, "mlp_connector_layers": 2, "dynamic_image_size": True}

    def chat_config_dict(self, vocab_size: int | None = None) -> dict[str, Any]:
        """The original Eagle 2 format's config.json (Eagle2-9B: SigLIP at 448 + ConvNeXt-XXL at 512)."""
        text = self.llm.to_dict()
        if vocab_size is not None:
            text["vocab_size"] = vocab_size
        vision = {"model_type": "MOB", "vision_path": "MOB:convnext-1024;palisiglip",
                  "moe_version_type": "convnext_512_siglip_448", "grid_size": self.vision.image_size // 14,
                  "convnext_img_size": 512, "siglip_img_size": self.vision.image_size, "normalize_type": "siglip",
                  "vision_tower_convnext_path": "convnext_xxlarge.clip_laion2b_soup",
                  "siglip_vision_config": self.vision.to_dict()}
        return {"model_type": "eagle_chat", "architectures": ["Eagle2ChatModel"], "vision_config": vision,
                "llm_config": text, "select_layer": -1, "force_image_size": self.vision.image_size,
                "downsample_ratio": 0.5, "template": "qwen2-chat", "dynamic_image_size": True, "use_thumbnail": True,
                "min_dynamic_patch": 1, "max_dynamic_patch": 12}

    def eagle2_config(self, vocab_size: int | None = None, image_token_index: int = 151667) -> Eagle2Config:
        from eagle_eval.model_adapters.eagle2.config import Eagle2Config

        if self.format == "eagle2":
            from eagle_eval.model_adapters.eagle2.chat_format import Eagle2ChatConfig

            config = Eagle2ChatConfig.from_json_dict(self.chat_config_dict(vocab_size), source=self.name)
            config.image_token_index = image_token_index
            return config
        return Eagle2Config.from_json_dict(self.config_dict(vocab_size, image_token_index), source=self.name)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("eagle2-1b", "nvidia/Eagle2-1B", "Qwen2.5-0.5B-Instruct", "SigLIP so400m (PaliGemma-448)",
               QWEN25_05B, SIGLIP_448, reference="Eagle2-1B"),
        Preset("eagle2-2b", "nvidia/Eagle2-2B", "Qwen2.5-1.5B-Instruct", "SigLIP so400m (PaliGemma-448)",
               QWEN25_15B, SIGLIP_448, reference="Eagle2-2B"),
        Preset("eagle2-9b", "nvidia/Eagle2-9B", "Qwen2.5-7B-Instruct", "SigLIP + ConvNeXt-XXL (channel concat)",
               QWEN25_7B, SIGLIP_448, format="eagle2", reference="Eagle2-9B"),
        Preset("eagle2.5-8b", "nvidia/Eagle2.5-8B", "Qwen2.5-7B-Instruct", "SigLIP2 so400m-patch16-512",
               QWEN25_7B, SIGLIP2_512, reference="Eagle2.5-8B"),
        Preset("eagle2.5-tiny", None, "tiny Qwen2", "tiny SigLIP", TINY_QWEN, TINY_SIGLIP, tiny=True),
    )
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise KeyError(f"unknown Eagle 2 preset '{name}'; known: {sorted(PRESETS)}")
    return PRESETS[name]
