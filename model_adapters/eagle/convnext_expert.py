"""ConvNeXt-XXLarge expert ("convnext-1024"), timm's ConvNeXt built from config.

The feature is the last stage's map (stride 32: 32x32x3072 at 1024 px); the 1000-class head is stored in
the checkpoint and kept as parameters (so loading is strict) but never run.

Eagle's copy of timm named the layer-scale parameter `weight` where timm says `gamma`:
`module_key_from_checkpoint` / `checkpoint_key_from_module` translate between the two (keys relative
to the expert's `vision_tower.`, or any longer key that ends with such a path).
"""

from __future__ import annotations

import re
from typing import cast

import torch
from timm.models.convnext import ConvNeXt
from torch import nn

from eagle_eval.model_adapters.eagle.vision_config import ConvNextExpertConfig

_CHECKPOINT_LAYER_SCALE = re.compile(r"(stages\.\d+\.blocks\.\d+\.)weight$")
_MODULE_LAYER_SCALE = re.compile(r"(stages\.\d+\.blocks\.\d+\.)gamma$")


def module_key_from_checkpoint(key: str) -> str:
    """`stages.2.blocks.7.weight` (checkpoint) -> `stages.2.blocks.7.gamma` (timm)."""
    return _CHECKPOINT_LAYER_SCALE.sub(r"\1gamma", key)


def checkpoint_key_from_module(key: str) -> str:
    """`stages.2.blocks.7.gamma` (timm) -> `stages.2.blocks.7.weight` (checkpoint)."""
    return _MODULE_LAYER_SCALE.sub(r"\1weight", key)


class ConvNextExpert(nn.Module):
    def __init__(self, config: ConvNextExpertConfig) -> None:
        super().__init__()
        self.config = config
        self.input_size: int | None = None  # runs at the tower's resolution
        self.out_channels = config.out_channels
        self.vision_tower = ConvNeXt(depths=config.depths, dims=config.dims, norm_eps=config.norm_eps,
                                     num_classes=config.num_classes)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[B, 3, S, S] -> [B, C, S/32, S/32]; follows the stem weights' memory format."""
        model = self.vision_tower
        stem_weight = cast(nn.Conv2d, model.stem[0]).weight
        pixel_values = pixel_values.to(stem_weight.dtype)
        if stem_weight.is_contiguous(memory_format=torch.channels_last):
            pixel_values = pixel_values.contiguous(memory_format=torch.channels_last)
        return model.stages(model.stem(pixel_values))

    def use_channels_last(self) -> None:
        """NHWC convolutions are markedly faster for ConvNeXt on GPU (cuDNN depthwise 7x7)."""
        self.vision_tower.to(memory_format=torch.channels_last)
