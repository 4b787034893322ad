"""Knocking out one of Eagle2-9B's two vision experts (the original Eagle 2 format): SigLIP or ConvNeXt.

The 9B concatenates [pixel-shuffled SigLIP, ConvNeXt] along channels before `mlp1` (chat_format.py). As for
Eagle-X (eagle/knockout.py), a knocked-out expert is not run and its channel block of mlp1's input is a fixed
[tokens, channels] map, the same on every tile: `mean`, the expert's block averaged token position by token
position over every tile of the calibration images (each image tiled as config.json says: up to
`max_dynamic_patch` tiles and the thumbnail, no upscaling; normalised as every request), or `zeros`.

`Eagle2ChatAdapter` offers this (eagle_eval.ablation.spec.SupportsExpertKnockout) for the 9B format only:
an Eagle 2.5-format checkpoint has one encoder, so `Eagle2Adapter` offers nothing to knock out.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from PIL import Image

from eagle_eval.ablation.spec import AblationError, ExpertCalibration, VisionExpert
from eagle_eval.model_adapters.eagle.knockout import digest
from eagle_eval.model_adapters.eagle2.adapter import Eagle2Adapter
from eagle_eval.model_adapters.eagle2.chat_format import CONVNEXT, SIGLIP, Eagle2ChatModel
from eagle_eval.model_adapters.eagle2.tiling import normalize, preprocess_image

# The experts in mlp1's channel order (SigLIP's block first), with the tower each one is in config.json.
EXPERTS: tuple[tuple[VisionExpert, str], ...] = (
    (VisionExpert("siglip", "SigLIP", 0), SIGLIP),
    (VisionExpert("convnext", "ConvNeXt", 1), CONVNEXT),
)
TOWERS = {expert.name: tower for expert, tower in EXPERTS}


def calibration_tiles(model: Eagle2ChatModel, images: Sequence[Image.Image]) -> torch.Tensor:
    """Every tile of `images`, uint8 [T, 3, S, S], cut as the checkpoint's config.json tiles an image."""
    config = model.config
    return torch.cat([preprocess_image(image, config.max_dynamic_tiles, config.tile_size, config.min_dynamic_tiles,
                                       config.use_thumbnail) for image in images])


@torch.no_grad()
def mean_block(model: Eagle2ChatModel, tower: str, images: Sequence[Image.Image],
               batch_size: int = 8) -> torch.Tensor:
    """Tower `tower`'s block of mlp1's input averaged over every calibration tile: [tokens, C] in float32."""
    if not images:
        raise AblationError(f"the mean replacement for {tower} needs calibration images and the task has "
                            "none; use --ablate-replacement zeros")
    tiles = calibration_tiles(model, images)
    parameter = next(model.tower(tower).parameters())
    dtype = model.vision_dtype()
    step = max(1, batch_size)
    total = torch.zeros(model.config.tokens_per_tile, model.block_channels(tower))
    for begin in range(0, tiles.shape[0], step):
        pixels = normalize(tiles[begin:begin + step].to(parameter.device), dtype)
        total += model.tower_block(tower, pixels).float().sum(dim=0).cpu()
    return total / tiles.shape[0]


def replacement_block(model: Eagle2ChatModel, tower: str, replacement: str, images: Sequence[Image.Image],
                      batch_size: int = 8) -> torch.Tensor:
    if replacement == "zeros":
        return torch.zeros(model.config.tokens_per_tile, model.block_channels(tower))
    if replacement == "mean":
        return mean_block(model, tower, images, batch_size)
    raise AblationError(f"unknown replacement {replacement!r}; choose mean or zeros")


def knock_out(model: Eagle2ChatModel, experts: Sequence[str], replacement: str, images: Sequence[Image.Image],
              batch_size: int = 8) -> dict[str, ExpertCalibration]:
    """Replace `experts` (named as `EXPERTS` names them; any earlier knock-out is undone first); the record of
    each map."""
    unknown = [name for name in experts if name not in TOWERS]
    if unknown:
        raise AblationError(f"no vision expert {unknown[0]!r} in Eagle2-9B's format; its experts are "
                            f"{', '.join(TOWERS)}")
    model.restore_experts()
    maps = {name: replacement_block(model, TOWERS[name], replacement, images, batch_size) for name in experts}
    records: dict[str, ExpertCalibration] = {}
    for name, block in maps.items():
        model.knock_out(TOWERS[name], block)
        records[name] = ExpertCalibration(images=len(images) if replacement == "mean" else 0, digest=digest(block))
    return records


class Eagle2ChatAdapter(Eagle2Adapter):
    """`Eagle2Adapter` for an original Eagle 2-format (9B) checkpoint, whose experts can be knocked out."""

    @property
    def _chat_model(self) -> Eagle2ChatModel:
        assert isinstance(self.model, Eagle2ChatModel), "Eagle2ChatAdapter needs an Eagle 2-format (9B) checkpoint"
        return self.model

    def vision_experts(self) -> list[VisionExpert]:
        return [expert for expert, _ in EXPERTS]

    def knock_out_experts(self, experts: Sequence[str], replacement: str,
                          calibration: Sequence[Image.Image]) -> dict[str, ExpertCalibration]:
        return knock_out(self._chat_model, experts, replacement, calibration, self.vision_batch_size)
