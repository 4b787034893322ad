"""The original Eagle 2 format of Eagle2-9B (`Eagle2ChatModel`, config `model_type "eagle_chat"`): SigLIP and
ConvNeXt-XXL side by side, their tokens concatenated along channels before `mlp1`.

What NVIDIA's code does per tile (the hub remote code as vendored at huggingface/transformers 981d34c
`src/transformers/models/eagle2/modeling_ealge2.py`, the towers of NVlabs/Eagle 783f656
`Eagle2_5/eaglevl/model/multimodal_encoder/`; checked against tests/goldens/eagle2_9b/):

- the SigLIP-normalised tile goes to each tower of `vision_config.vision_path` (`"MOB:convnext-1024;palisiglip"`:
  ConvNeXt first), resized with `F.interpolate(bilinear, align_corners=True)` in float32 when the tower's size
  (`convnext_img_size` 512, `siglip_img_size` 448) is not the tile's;
- SigLIP: `last_hidden_state` (post-layernorm; `select_layer` -1), 32×32×1152 at 448 px, then the pixel shuffle
  (0.5) to 16×16×4608;
- ConvNeXt: the input turned from SigLIP's normalisation into CLIP's (`x·0.5/std + (0.5 − mean)/std`, float32),
  stem and the four stages, the last map (16×16×3072 at 512 px) as tokens, no final norm; the classifier head is
  stored in the checkpoint but never run;
- `mlp1` (LayerNorm → Linear → GELU → Linear) over `[shuffled SigLIP, ConvNeXt]`, 4608 + 3072 = 7680 channels.

Our module tree mirrors the released one except where the libraries name things differently (`module_key` /
`checkpoint_key`): transformers 5's SigLIP has no inner `vision_model.`, and timm names ConvNeXt's layer scale
`gamma` where NVIDIA's timm copy says `weight`. The ConvNeXt sizes are ConvNeXt-XXL when
`vision_tower_convnext_path` names `xxlarge` (as NVIDIA's tower decides); `vision_config.convnext_config`
(`depths`, `dims`) overrides that for other sizes (this project's key, for test checkpoints). The classifier's
width is read from the checkpoint (`convnext_head_classes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from eagle_eval.model_adapters.eagle.convnext_expert import (
    ConvNextExpert,
    checkpoint_key_from_module,
    module_key_from_checkpoint,
)
from eagle_eval.model_adapters.eagle.vision_config import ConvNextExpertConfig
from eagle_eval.model_adapters.eagle2.config import (
    TEMPLATE,
    Eagle2Config,
    Eagle2ConfigError,
    _check_supported,
    _text_config,
    _vision_config,
)
from eagle_eval.model_adapters.eagle2.modeling import Eagle2Model, build_projector, pixel_shuffle

CHAT_MODEL_TYPE = "eagle_chat"
MOE_VERSION = "convnext_512_siglip_448"
CONVNEXT = "convnext-1024"
SIGLIP = "palisiglip"
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
_RELEASED_TOWERS = "vision_model.vision_model.vision_towers."
_MODULE_TOWERS = "vision_model.vision_towers."
_RELEASED_SIGLIP = "vision_tower.vision_model."
_MODULE_SIGLIP = "vision_tower."


@dataclass
class Eagle2ChatConfig(Eagle2Config):
    """Eagle2Config's fields (`vision` is the SigLIP tower's config) plus the ConvNeXt tower."""

    convnext: ConvNextExpertConfig = field(default_factory=ConvNextExpertConfig)
    towers: tuple[str, ...] = (CONVNEXT, SIGLIP)
    convnext_size: int = 512
    siglip_size: int = 448

    @property
    def projector_input_size(self) -> int:
        return int(self.vision.hidden_size) * self.scale ** 2 + self.convnext.out_channels

    @property
    def vision_type(self) -> str:
        """As config.json names the tower: `MOB:convnext-1024;palisiglip` (recorded in results.json)."""
        return "MOB:" + ";".join(self.towers)

    @classmethod
    def from_json_dict(cls, data: dict[str, Any], source: str = "config.json") -> Eagle2ChatConfig:
        if data.get("model_type") != CHAT_MODEL_TYPE:
            raise Eagle2ConfigError(f"{source}: model_type is {data.get('model_type')!r}, not {CHAT_MODEL_TYPE!r}")
        _check_supported(data, source)
        mob = data.get("vision_config")
        if not isinstance(mob, dict) or mob.get("model_type") != "MOB":
            raise Eagle2ConfigError(f"{source}: the Eagle 2 chat format needs a 'MOB' vision_config (SigLIP + "
                                    "ConvNeXt); a SigLIP-only one is the 1B/2B layout, run from their Eagle 2.5-"
                                    "format re-release (eagle2-1b, eagle2-2b)")
        towers = _towers(mob, source)
        config = cls(
            vision=_vision_config(mob.get("siglip_vision_config"), f"{source} vision_config.siglip_vision_config"),
            text=_text_config(data.get("llm_config"), source),
            select_layer=int(data.get("select_layer", -1)),
            downsample_ratio=float(data.get("downsample_ratio", 0.5)),
            force_image_size=data.get("force_image_size"),
            min_dynamic_tiles=int(data.get("min_dynamic_patch", 1)),
            max_dynamic_tiles=int(data.get("max_dynamic_patch", 6)),
            use_thumbnail=bool(data.get("use_thumbnail", False)),
            template=str(data.get("template") or TEMPLATE),
            extra={k: v for k, v in data.items() if k not in ("vision_config", "llm_config")},
            convnext=_convnext_config(mob, source),
            towers=towers,
            convnext_size=int(mob.get("convnext_img_size", 512)),
            siglip_size=int(mob.get("siglip_img_size", 448)),
        )
        config.check_chat(int(mob.get("grid_size", 32)), source)
        return config

    def check_chat(self, grid_size: int, source: str) -> None:
        self.check()
        if self.select_layer != -1:
            raise Eagle2ConfigError(f"{source}: select_layer {self.select_layer} is not implemented: NVIDIA's "
                                    "mixture-of-backbones tower only returns last hidden states (-1)")
        siglip_tokens = (self.siglip_size // self.patch_size // self.scale) ** 2
        convnext_tokens = (self.convnext_size // 32) ** 2
        declared = int((grid_size * self.downsample_ratio) ** 2)
        if not siglip_tokens == convnext_tokens == declared == self.tokens_per_tile:
            raise Eagle2ConfigError(
                f"{source}: the towers disagree on tokens per tile (SigLIP at {self.siglip_size} px: {siglip_tokens}, "
                f"ConvNeXt at {self.convnext_size} px: {convnext_tokens}, grid_size {grid_size}: {declared}, tile "
                f"{self.tile_size} px: {self.tokens_per_tile}); their features cannot be concatenated")
        if int(self.vision.image_size) != self.siglip_size:
            raise Eagle2ConfigError(f"{source}: siglip_vision_config.image_size {self.vision.image_size} is not "
                                    f"siglip_img_size {self.siglip_size}")


def _towers(mob: dict[str, Any], source: str) -> tuple[str, ...]:
    version = mob.get("moe_version_type")
    if version != MOE_VERSION:
        raise Eagle2ConfigError(f"{source}: vision_config.moe_version_type {version!r} is not implemented "
                                f"(supported: {MOE_VERSION!r}, Eagle2-9B's)")
    path = str(mob.get("vision_path", ""))
    towers = tuple(path.removeprefix("MOB:").split(";"))
    if sorted(towers) != sorted((CONVNEXT, SIGLIP)):
        raise Eagle2ConfigError(f"{source}: vision_config.vision_path {path!r} is not implemented (supported: the "
                                f"towers {CONVNEXT!r} and {SIGLIP!r}, as in 'MOB:{CONVNEXT};{SIGLIP}')")
    if mob.get("normalize_type", "siglip") != "siglip":
        raise Eagle2ConfigError(f"{source}: vision_config.normalize_type {mob.get('normalize_type')!r} is not "
                                "implemented (supported: 'siglip', the ConvNeXt input renormalised to CLIP's)")
    return towers


def _convnext_config(mob: dict[str, Any], source: str) -> ConvNextExpertConfig:
    sizes = mob.get("convnext_config")
    if isinstance(sizes, dict):
        return ConvNextExpertConfig(depths=tuple(sizes["depths"]), dims=tuple(sizes["dims"]),
                                    num_classes=int(sizes.get("num_classes", 1000)))
    path = str(mob.get("vision_tower_convnext_path", ""))
    if "xxlarge" not in path:
        raise Eagle2ConfigError(f"{source}: vision_config.vision_tower_convnext_path {path!r} is not ConvNeXt-XXL, "
                                "the only size NVIDIA's tower builds; give vision_config.convnext_config "
                                "{depths, dims} for another")
    return ConvNextExpertConfig.full()


class SiglipTower(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        from transformers import SiglipVisionModel

        self.vision_tower = SiglipVisionModel(config)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[T, 3, S, S] → [T, G², C]: the last layer's output after the post-layernorm (the pooling head is
        not run)."""
        siglip: Any = self.vision_tower
        hidden = siglip.embeddings(pixel_values.to(siglip.embeddings.patch_embedding.weight.dtype))
        for layer in siglip.encoder.layers:
            hidden = layer(hidden, None)
        return siglip.post_layernorm(hidden)


class ChatVision(nn.Module):
    def __init__(self, config: Eagle2ChatConfig) -> None:
        super().__init__()
        self.vision_towers = nn.ModuleList(
            ConvNextExpert(config.convnext) if name == CONVNEXT else SiglipTower(config.vision)
            for name in config.towers)


def resized(pixel_values: torch.Tensor, size: int) -> torch.Tensor:
    if pixel_values.shape[-1] == size:
        return pixel_values
    return F.interpolate(pixel_values.float(), size=(size, size), mode="bilinear",
                         align_corners=True).to(pixel_values.dtype)


def siglip_to_clip(pixel_values: torch.Tensor) -> torch.Tensor:
    """SigLIP-normalised values ((x − 0.5)/0.5) → CLIP-normalised, in float32, back in the input's dtype."""
    std = torch.tensor(CLIP_STD, device=pixel_values.device).view(-1, 1, 1)
    mean = torch.tensor(CLIP_MEAN, device=pixel_values.device).view(-1, 1, 1)
    scale, shift = 0.5 / std, (0.5 - mean) / std
    return (pixel_values.float() * scale + shift).to(pixel_values.dtype)


class Eagle2ChatModel(Eagle2Model):
    """Eagle2Model's LLM side (`language_model`, `mlp1`, `build_inputs`, `forward`) over the two towers.

    Expert knock-out (`knock_out`): a knocked-out tower is not run; its channel block of mlp1's input is a
    fixed [tokens, channels] map given by the caller (zeros, or the block's mean over calibration tiles; see
    knockout.py), repeated over the tiles. The map is held outside the state dict, so loading stays strict.
    """

    config: Eagle2ChatConfig

    def __init__(self, config: Eagle2ChatConfig) -> None:
        nn.Module.__init__(self)
        from transformers import Qwen2ForCausalLM

        self.config = config
        config.vision._attn_implementation = "sdpa"
        config.text._attn_implementation = "sdpa"
        self.vision_model = ChatVision(config)
        self.language_model = Qwen2ForCausalLM(config.text)
        self.mlp1 = build_projector(config.projector_input_size, int(config.text.hidden_size))
        # tower name -> [tokens, C] map standing in for its block of mlp1's input (float32; cast at use)
        self._replacements: dict[str, torch.Tensor] = {}
        self._placed: dict[tuple[str, torch.device, torch.dtype], torch.Tensor] = {}

    def tower(self, name: str) -> nn.Module:
        return cast(nn.ModuleList, self.vision_model.vision_towers)[self.config.towers.index(name)]

    def _run_tower(self, name: str, pixel_values: torch.Tensor) -> torch.Tensor:
        if name == SIGLIP:
            return self.tower(name)(resized(pixel_values, self.config.siglip_size))
        clip = siglip_to_clip(resized(pixel_values, self.config.convnext_size))
        return self.tower(name)(clip).flatten(2).transpose(1, 2)

    def tower_outputs(self, pixel_values: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each tower's tokens: {'palisiglip': [T, G², C_s], 'convnext-1024': [T, g², C_c]}."""
        return {name: self._run_tower(name, pixel_values) for name in self.config.towers}

    def block_channels(self, name: str) -> int:
        """Tower `name`'s channels in mlp1's input: 4·C_s for the pixel-shuffled SigLIP, C_c for ConvNeXt."""
        if name == SIGLIP:
            return int(self.config.vision.hidden_size) * self.config.scale ** 2
        return self.config.convnext.out_channels

    @torch.no_grad()
    def tower_block(self, name: str, pixel_values: torch.Tensor) -> torch.Tensor:
        """Tower `name`'s block of mlp1's input, [T, tokens, channels] (run even when knocked out)."""
        tokens = self._run_tower(name, pixel_values)
        return pixel_shuffle(tokens, self.config.scale) if name == SIGLIP else tokens

    @property
    def knocked_out(self) -> tuple[str, ...]:
        """The towers whose block is replaced, in mlp1's channel order."""
        return tuple(name for name in (SIGLIP, CONVNEXT) if name in self._replacements)

    def knock_out(self, name: str, replacement: torch.Tensor) -> None:
        """From now on, skip tower `name` and use `replacement` [tokens, channels] for its block, on every tile."""
        if name not in self.config.towers:
            raise KeyError(f"no tower '{name}' in this model; its towers are {list(self.config.towers)}")
        expected = (self.config.tokens_per_tile, self.block_channels(name))
        if tuple(replacement.shape) != expected:
            raise ValueError(f"the replacement for {name} must have shape {list(expected)}, "
                             f"got {list(replacement.shape)}")
        self._replacements[name] = replacement.detach().float().cpu()
        self._placed.clear()

    def replacement(self, name: str) -> torch.Tensor | None:
        """The map standing in for tower `name` (float32), or None when it runs."""
        return self._replacements.get(name)

    def restore_experts(self) -> None:
        """Undo every knock-out: both towers run again."""
        self._replacements.clear()
        self._placed.clear()

    def _block(self, name: str, pixel_values: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        fixed = self._replacements.get(name)
        if fixed is None:
            return self.tower_block(name, pixel_values).to(dtype)
        place = (name, pixel_values.device, dtype)
        if place not in self._placed:  # one copy per device and dtype, not one per batch
            self._placed[place] = fixed.to(place[1], place[2])
        return self._placed[place].unsqueeze(0).expand(pixel_values.shape[0], -1, -1)

    @torch.no_grad()
    def vision_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[T, 3, S, S] SigLIP-normalised tiles → [T, tokens, 4·C_s + C_c]: the pixel-shuffled SigLIP tokens,
        then the ConvNeXt tokens (mlp1's input), in SigLIP's dtype; a knocked-out tower's block is its map."""
        dtype = next(self.tower(SIGLIP).parameters()).dtype
        return torch.cat([self._block(name, pixel_values, dtype) for name in (SIGLIP, CONVNEXT)], dim=-1)

    @torch.no_grad()
    def project(self, features: torch.Tensor) -> torch.Tensor:
        weight = next(self.mlp1.parameters())
        return self.mlp1(features.to(weight.device, weight.dtype))

    def _tower_name(self, index: str) -> str | None:
        return self.config.towers[int(index)] if index.isdigit() and int(index) < len(self.config.towers) else None

    def module_key(self, key: str) -> str:
        """Our module's name for a released checkpoint key (unchanged when it is not one)."""
        if not key.startswith(_RELEASED_TOWERS):
            return key
        index, _, rest = key[len(_RELEASED_TOWERS):].partition(".")
        name = self._tower_name(index)
        if name == SIGLIP and rest.startswith(_RELEASED_SIGLIP):
            rest = _MODULE_SIGLIP + rest[len(_RELEASED_SIGLIP):]
        elif name == CONVNEXT:
            rest = module_key_from_checkpoint(rest)
        else:
            return key
        return f"{_MODULE_TOWERS}{index}.{rest}"

    def checkpoint_key(self, name: str) -> str:
        """The released checkpoint's key for one of our tensors."""
        if not name.startswith(_MODULE_TOWERS):
            return name
        index, _, rest = name[len(_MODULE_TOWERS):].partition(".")
        if self._tower_name(index) == SIGLIP:
            rest = _RELEASED_SIGLIP + rest.removeprefix(_MODULE_SIGLIP)
        else:
            rest = checkpoint_key_from_module(rest)
        return f"{_RELEASED_TOWERS}{index}.{rest}"


def convnext_head_classes(config: Eagle2ChatConfig, shapes: dict[str, tuple[int, ...]]) -> None:
    """Set the ConvNeXt classifier's width from the checkpoint's `head.fc.weight` (0, no classifier, if absent)."""
    index = config.towers.index(CONVNEXT)
    key = f"{_RELEASED_TOWERS}{index}.vision_tower.head.fc.weight"
    classes = shapes[key][0] if key in shapes else 0
    config.convnext = ConvNextExpertConfig(depths=config.convnext.depths, dims=config.convnext.dims,
                                           norm_eps=config.convnext.norm_eps, num_classes=classes)
