"""Knocking out Eagle vision experts: the replacement maps, and the calibration pass that makes them.

The tower skips a knocked-out expert and splices in a fixed [C, grid, grid] map (vision_tower.py); this
module makes that map. `mean` is the expert's own output averaged position by position over the
calibration images (run through the same preprocessing as every request), so each token keeps the
typical value the projector saw for that expert at that position in training, with no information
about the image at hand; `zeros` is the literal zero block.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import torch
from PIL import Image

from eagle_eval.ablation.spec import AblationError, ExpertCalibration, VisionExpert
from eagle_eval.model_adapters.eagle.preprocessing import images_to_uint8, normalize_uint8
from eagle_eval.model_adapters.eagle.vision_config import EXPERT_LABELS
from eagle_eval.model_adapters.eagle.vision_tower import EagleVisionTower


def tower_experts(tower: EagleVisionTower) -> list[VisionExpert]:
    return [VisionExpert(name, EXPERT_LABELS[name], index) for index, name in enumerate(tower.config.experts)]


@torch.no_grad()
def mean_expert_map(tower: EagleVisionTower, name: str, images: Sequence[Image.Image],
                    batch_size: int = 8) -> torch.Tensor:
    """Expert `name`'s feature map averaged over `images`: [C, grid, grid] in float32 (only it is run)."""
    if not images:
        raise AblationError(f"the mean replacement for {name} needs calibration images and the task has "
                            "none; use --ablate-replacement zeros")
    parameter = next(tower.expert(name).parameters())
    total: torch.Tensor | None = None
    for begin in range(0, len(images), max(1, batch_size)):
        chunk = images[begin:begin + max(1, batch_size)]
        pixels = normalize_uint8(images_to_uint8(chunk, tower.config.image_size).to(parameter.device),
                                 parameter.dtype)
        summed = tower.run_expert(name, pixels).float().sum(dim=0)
        total = summed if total is None else total + summed
    assert total is not None
    return (total / len(images)).cpu()


def replacement_map(tower: EagleVisionTower, name: str, replacement: str, images: Sequence[Image.Image],
                    batch_size: int = 8) -> torch.Tensor:
    if replacement == "zeros":
        grid = tower.config.grid_size
        return torch.zeros(tower.config.expert_channels(name), grid, grid)
    if replacement == "mean":
        return mean_expert_map(tower, name, images, batch_size)
    raise AblationError(f"unknown replacement {replacement!r}; choose mean or zeros")


def digest(feature: torch.Tensor) -> str:
    return hashlib.sha256(feature.float().contiguous().numpy().tobytes()).hexdigest()[:16]


def knock_out(tower: EagleVisionTower, experts: Sequence[str], replacement: str,
              images: Sequence[Image.Image], batch_size: int = 8) -> dict[str, ExpertCalibration]:
    """Replace `experts` in `tower` (any earlier knock-out is undone first); the record of each map."""
    tower.restore_experts()
    records: dict[str, ExpertCalibration] = {}
    maps = {name: replacement_map(tower, name, replacement, images, batch_size) for name in experts}
    for name, feature in maps.items():
        tower.knock_out(name, feature)
        records[name] = ExpertCalibration(images=len(images) if replacement == "mean" else 0,
                                          digest=digest(feature))
    return records
