"""The benchmark's knock-out part: how much time each knocked-out vision expert saves.

At one batch size, the full model and each single-expert knock-out (mean replacement over the
benchmark's own images) run through the same batched pipeline, in rounds (full, then every
knock-out, again and again); each variant's time is its fastest round, so a machine busy with other
work at one moment does not show up as a saving or a loss. Each line gives the ms/sample, the saving
against the full model, and the expert's share of the counted FLOPs for comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from PIL import Image

from eagle_eval.model_adapters.eagle.flops import SampleFlops
from eagle_eval.model_adapters.eagle.knockout import knock_out, tower_experts
from eagle_eval.model_adapters.eagle.modeling import EagleForCausalLM
from eagle_eval.model_adapters.eagle.vision_tower import EagleVisionTower

CALIBRATION_IMAGES = 16
FULL = "full"


@dataclass(frozen=True)
class BenchmarkPass:
    """The benchmark's pass: `seconds_for()` runs it once on the model as it stands and returns seconds."""

    seconds_for: Callable[[], float]
    samples: int
    batch_size: int
    vision_batch_size: int


def time_knockouts(model: EagleForCausalLM, images: list[Image.Image], timed_pass: BenchmarkPass,
                   flops: SampleFlops, rounds: int = 3) -> tuple[list[str], dict]:
    """The pass timed on the full model and with each expert knocked out (fastest of `rounds`)."""
    seconds_for, samples = timed_pass.seconds_for, timed_pass.samples
    batch_size, vision_batch_size = timed_pass.batch_size, timed_pass.vision_batch_size
    tower = cast(EagleVisionTower, model.vision_tower)  # random_model builds the full tower
    experts = tower_experts(tower)
    calibration = images[:CALIBRATION_IMAGES]
    replacements = {}
    for expert in experts:  # made once: the rounds time the knocked-out model, not the calibration
        knock_out(tower, [expert.name], "mean", calibration, vision_batch_size)
        replacement = tower.replacement(expert.name)
        if replacement is None:  # knock_out sets it; a tower that ignored the call would time the full model
            raise RuntimeError(f"knocking out {expert.name} left no replacement map")
        replacements[expert.name] = replacement
    tower.restore_experts()
    timed: dict[str, list[float]] = {FULL: [], **{expert.name: [] for expert in experts}}
    try:
        for _ in range(max(1, rounds)):
            tower.restore_experts()
            timed[FULL].append(seconds_for())
            for expert in experts:
                tower.restore_experts()
                tower.knock_out(expert.name, replacements[expert.name])
                timed[expert.name].append(seconds_for())
    finally:
        tower.restore_experts()
    full_ms = 1000 * min(timed[FULL]) / samples
    lines = [f"time saved per knocked-out expert at batch {batch_size} (fastest of {max(1, rounds)} rounds; "
             f"full model {full_ms:.1f} ms/sample):"]
    figures: dict = {"batch_size": batch_size, "rounds": max(1, rounds), "full_ms_per_sample": full_ms,
                     "calibration_images": len(calibration), "experts": {}}
    for expert in experts:
        ms = 1000 * min(timed[expert.name]) / samples
        share = flops.vision.get(expert.name, 0.0) / flops.total if flops.total else 0.0
        saved = full_ms - ms
        figures["experts"][expert.name] = {"label": expert.label, "ms_per_sample": ms, "saved_ms_per_sample": saved,
                                           "saved_fraction": saved / full_ms, "flop_share": share}
        lines.append(f"  −{expert.label:<11} ({expert.name:<15}) {ms:9.1f} ms/sample, saved {saved:8.1f} ms "
                     f"({100 * saved / full_ms:5.1f}%; {100 * share:4.1f}% of the FLOPs)")
    return lines, figures
