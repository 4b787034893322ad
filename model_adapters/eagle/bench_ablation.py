"""The benchmark's knock-out part: how much time each knocked-out vision expert saves.

At one batch size, the full model and then each single-expert knock-out (mean replacement over the
benchmark's own images) run through the same batched pipeline; each line is the ms/sample, the
saving against the full model, and the expert's share of the counted FLOPs for comparison. The full
model is timed before and after the knock-outs and the faster of the two is the baseline, so a
machine that slows down mid-run does not show up as savings.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

from eagle_eval.model_adapters.eagle.flops import SampleFlops
from eagle_eval.model_adapters.eagle.knockout import knock_out, tower_experts
from eagle_eval.model_adapters.eagle.modeling import EagleForCausalLM

CALIBRATION_IMAGES = 16


def time_knockouts(model: EagleForCausalLM, images: list[Image.Image], seconds_for: Callable[[], float],
                   samples: int, batch_size: int, vision_batch_size: int,
                   flops: SampleFlops) -> tuple[list[str], dict]:
    """`seconds_for()` runs the whole benchmark pass once on the model as it stands and returns seconds."""
    tower = model.vision_tower
    tower.restore_experts()
    before = seconds_for()
    timed: dict[str, float] = {}
    try:
        for expert in tower_experts(tower):
            knock_out(tower, [expert.name], "mean", images[:CALIBRATION_IMAGES], vision_batch_size)
            timed[expert.name] = seconds_for()
    finally:
        tower.restore_experts()
    after = seconds_for()
    full_ms = 1000 * min(before, after) / samples
    lines = [f"time saved per knocked-out expert at batch {batch_size} (full model {full_ms:.1f} ms/sample, "
             f"the faster of {1000 * before / samples:.1f} before and {1000 * after / samples:.1f} after):"]
    figures: dict = {"batch_size": batch_size, "full_ms_per_sample": full_ms,
                     "full_ms_per_sample_before_after": [1000 * before / samples, 1000 * after / samples],
                     "calibration_images": min(CALIBRATION_IMAGES, len(images)), "experts": {}}
    for expert in tower_experts(tower):
        ms = 1000 * timed[expert.name] / samples
        share = flops.vision.get(expert.name, 0.0) / flops.total if flops.total else 0.0
        saved = full_ms - ms
        figures["experts"][expert.name] = {"label": expert.label, "ms_per_sample": ms, "saved_ms_per_sample": saved,
                                           "saved_fraction": saved / full_ms, "flop_share": share}
        lines.append(f"  −{expert.label:<11} ({expert.name:<15}) {ms:9.1f} ms/sample, saved {saved:8.1f} ms "
                     f"({100 * saved / full_ms:5.1f}%; {100 * share:4.1f}% of the FLOPs)")
    return lines, figures
