"""The Eagle (v1) vision tower: several vision experts, one shared input, features concatenated by channel.

`EagleVisionTower(config)` has state-dict keys `vision_towers.{i}.vision_tower.…`, i.e. the
checkpoint's keys without their `model.vision_tower.` prefix, except ConvNeXt's layer-scale parameters
(checkpoint `…blocks.N.weight`, module `…blocks.N.gamma`): use `module_key_from_checkpoint` /
`checkpoint_key_from_module`, or `load_checkpoint_tensors`, which does the renaming and the checks.

forward(pixel_values [B, 3, S, S], CLIP-normalised) -> [B, grid*grid, hidden_size]: for each expert in
config order, resize the input to the expert's resolution if it has its own (CLIP: 336), run it, resize
its map to the grid (32x32) if needed, flatten row-major, concatenate along channels. Every resize is
bilinear with align_corners=True, computed in fp32, as in the reference tower.

Expert knock-out (`knock_out`): a knocked-out expert is not run; its block of the concatenated features
is a fixed map given by the caller (zeros, or the expert's mean map over calibration images; see
knockout.py), so the projector still sees every channel it was trained on. The map is held outside the
state dict, so checkpoint loading stays strict.

Checkpoint tensors that exist but are not used by the forward pass (`UNUSED_CHECKPOINT_KEY_PATTERNS`)
are kept as parameters, so loading stays strict. RoPE tables (`RECOMPUTED_BUFFER_PATTERNS`) are listed
in the state dict like the checkpoint's, but are computed, never loaded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from eagle_eval.model_adapters.eagle import convnext_expert
from eagle_eval.model_adapters.eagle.clip_expert import ClipExpert
from eagle_eval.model_adapters.eagle.convnext_expert import ConvNextExpert
from eagle_eval.model_adapters.eagle.eva02_expert import Eva02Expert, Rope2D
from eagle_eval.model_adapters.eagle.pix2struct_expert import Pix2StructExpert
from eagle_eval.model_adapters.eagle.sam_expert import SamExpert
from eagle_eval.model_adapters.eagle.vision_config import (
    CLIP,
    CONVNEXT,
    DET,
    PIX2STRUCT,
    SAM,
    VisionTowerConfig,
)

# Relative to the tower (prepend `model.vision_tower.` for full checkpoint keys).
UNUSED_CHECKPOINT_KEY_PATTERNS: tuple[str, ...] = (
    r"vision_towers\.\d+\.vision_tower\.head\.(norm|fc)\.(weight|bias)",  # ConvNeXt classifier head
    r"vision_towers\.\d+\.vision_tower\.vision_model\.post_layernorm\.(weight|bias)",  # CLIP
)
RECOMPUTED_BUFFER_PATTERNS: tuple[str, ...] = (
    r"vision_towers\.\d+\.vision_tower\.(rope_win|rope_glb|blocks\.\d+\.attn\.rope)\.freqs_(cos|sin)",
)
_RECOMPUTED = re.compile("|".join(f"(?:{pattern})" for pattern in RECOMPUTED_BUFFER_PATTERNS))


def is_recomputed_buffer(key: str) -> bool:
    """True for tower-relative keys of buffers that are computed, never loaded (EVA RoPE tables)."""
    return _RECOMPUTED.fullmatch(key) is not None


def module_key_from_checkpoint(key: str) -> str:
    """Tower-relative checkpoint key -> the module's state-dict key."""
    return convnext_expert.module_key_from_checkpoint(key)


def checkpoint_key_from_module(key: str) -> str:
    """The module's state-dict key -> the tower-relative checkpoint key."""
    return convnext_expert.checkpoint_key_from_module(key)


_EXPERT_CLASSES = {CLIP: ClipExpert, CONVNEXT: ConvNextExpert, SAM: SamExpert, DET: Eva02Expert,
                   PIX2STRUCT: Pix2StructExpert}


def _resize(features: torch.Tensor, size: int) -> torch.Tensor:
    resized = F.interpolate(features.float(), size=(size, size), mode="bilinear", align_corners=True)
    return resized.to(features.dtype)


class EagleVisionTower(nn.Module):
    def __init__(self, config: VisionTowerConfig) -> None:
        super().__init__()
        self.config = config
        expert_configs = {CLIP: config.clip, CONVNEXT: config.convnext, SAM: config.sam, DET: config.det,
                          PIX2STRUCT: config.pix2struct}
        self.vision_towers = nn.ModuleList(_EXPERT_CLASSES[name](expert_configs[name])
                                           for name in config.experts)
        # expert name -> [C_i, grid, grid] map standing in for its output (float32; cast at use).
        self._replacements: dict[str, torch.Tensor] = {}
        self._placed: dict[tuple[str, torch.device, torch.dtype], torch.Tensor] = {}

    @property
    def hidden_size(self) -> int:
        return self.config.hidden_size

    @property
    def num_tokens(self) -> int:
        return self.config.num_tokens

    @property
    def knocked_out(self) -> tuple[str, ...]:
        """The experts whose output is replaced, in config order."""
        return tuple(name for name in self.config.experts if name in self._replacements)

    def knock_out(self, name: str, replacement: torch.Tensor) -> None:
        """From now on, skip expert `name` and use `replacement` [C, grid, grid] for its features."""
        if name not in self.config.experts:
            raise KeyError(f"no expert '{name}' in this tower; its experts are {list(self.config.experts)}")
        grid = self.config.grid_size
        expected = (self.config.expert_channels(name), grid, grid)
        if tuple(replacement.shape) != expected:
            raise ValueError(f"the replacement for {name} must have shape {list(expected)}, "
                             f"got {list(replacement.shape)}")
        self._replacements[name] = replacement.detach().float()
        self._placed.clear()

    def replacement(self, name: str) -> torch.Tensor | None:
        """The map standing in for expert `name` (float32), or None when it runs."""
        return self._replacements.get(name)

    def restore_experts(self) -> None:
        """Undo every knock-out: all experts run again."""
        self._replacements.clear()
        self._placed.clear()

    def expert(self, name: str) -> nn.Module:
        return self.vision_towers[self.config.experts.index(name)]

    def _check_input(self, pixel_values: torch.Tensor) -> None:
        size = self.config.image_size
        if pixel_values.dim() != 4 or pixel_values.shape[1:] != (3, size, size):
            raise ValueError(f"the vision tower takes pixel_values [B, 3, {size}, {size}], got "
                             f"{list(pixel_values.shape)}; preprocess with preprocessing.preprocess_images")

    def run_expert(self, name: str, pixel_values: torch.Tensor) -> torch.Tensor:
        """One expert's feature map resized to the grid, [B, C_i, grid, grid] (run even when knocked out)."""
        self._check_input(pixel_values)
        return self._run(self.expert(name), pixel_values)

    def _run(self, expert: nn.Module, pixel_values: torch.Tensor) -> torch.Tensor:
        x = pixel_values
        # Every expert sets `input_size`: the resolution it runs at, or None for the tower's own.
        input_size = cast(int | None, expert.input_size)
        if input_size is not None and input_size != self.config.image_size:
            x = _resize(x, input_size)
        feature = expert(x)
        if feature.shape[-2:] != (self.config.grid_size, self.config.grid_size):
            feature = _resize(feature, self.config.grid_size)
        return feature

    def expert_features(self, pixel_values: torch.Tensor) -> list[torch.Tensor]:
        """Per expert (config order), the feature map resized to the grid: [B, C_i, grid, grid].

        A knocked-out expert is not run: its replacement map, repeated over the batch, takes its place.
        """
        self._check_input(pixel_values)
        maps = []
        for name, expert in zip(self.config.experts, self.vision_towers, strict=True):
            replacement = self._replacements.get(name)
            if replacement is None:
                maps.append(self._run(expert, pixel_values))
                continue
            place = (name, pixel_values.device, next(expert.parameters()).dtype)
            if place not in self._placed:  # one copy per device and dtype, not one per batch
                self._placed[place] = replacement.to(place[1], place[2])
            fixed = self._placed[place]
            maps.append(fixed.unsqueeze(0).expand(pixel_values.shape[0], -1, -1, -1))
        return maps

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[B, 3, S, S] -> [B, grid*grid, hidden_size], in the experts' parameter dtype."""
        maps = self.expert_features(pixel_values)
        dtype = maps[0].dtype
        return torch.cat([m.to(dtype).flatten(2).transpose(1, 2) for m in maps], dim=-1)

    def recompute_buffers(self) -> None:
        """Recompute every buffer the checkpoint does not provide, on the buffers' current device.

        Needed after building on the meta device and materialising with `load_state_dict(assign=True)`;
        `to_empty()` / `.to()` already recompute them.
        """
        for module in self.modules():
            if isinstance(module, Rope2D):
                module.recompute()
            elif isinstance(module, ClipExpert):
                module.recompute_buffers(module.vision_tower.vision_model.embeddings.class_embedding.device)

    def use_channels_last(self) -> None:
        """Channels-last memory format for the convolutional expert (faster on GPU)."""
        for expert in self.vision_towers:
            if isinstance(expert, ConvNextExpert):
                expert.use_channels_last()

    def load_checkpoint_tensors(self, tensors: Mapping[str, torch.Tensor], assign: bool = False) -> None:
        """Load tower-relative checkpoint tensors strictly.

        Renames ConvNeXt layer-scale keys, skips RoPE tables (recomputed), and raises naming every
        missing or unexpected key.
        """
        own = self.state_dict(keep_vars=True)
        renamed = {module_key_from_checkpoint(k): v for k, v in tensors.items() if not is_recomputed_buffer(k)}
        expected = {k for k in own if not is_recomputed_buffer(checkpoint_key_from_module(k))}
        missing = sorted(checkpoint_key_from_module(k) for k in expected - renamed.keys())
        unexpected = sorted(checkpoint_key_from_module(k) for k in renamed.keys() - expected)
        if missing or unexpected:
            raise KeyError(f"vision tower checkpoint mismatch: missing {missing[:20]} ({len(missing)} in all), "
                           f"unexpected {unexpected[:20]} ({len(unexpected)} in all); check that "
                           f"mm_vision_tower ({self.config.mm_vision_tower}) matches the checkpoint")
        self.load_state_dict(renamed, strict=False, assign=assign)
        if assign:
            self.recompute_buffers()


def expected_vision_tensors(config: VisionTowerConfig) -> list[tuple[str, tuple[int, ...]]]:
    """(tower-relative checkpoint key, shape) for every tensor the checkpoint stores for this tower,
    including stored-but-unused ones and the recomputed RoPE tables; built on the meta device."""
    with torch.device("meta"):
        tower = EagleVisionTower(config)
    return [(checkpoint_key_from_module(key), tuple(value.shape)) for key, value in tower.state_dict().items()]
