"""FLOPs of one Eagle sample, counted from the module tree on the meta device (no weights, no compute).

`count_sample_flops(config, prompt_tokens, new_tokens)` runs the vision tower (read per expert), the
projector, the LLM prefill and every decode step under torch's `FlopCounterMode` on meta tensors, so the figure follows the
architecture actually built (resolutions, layer counts, window sizes) rather than a formula kept beside
it. A multiply-add counts as two FLOPs; attention counts the full (not causal-halved) score matrix, as
torch's counter does; the prefill projects only the last position onto the vocabulary, as generation does.
The benchmark divides these counts by the measured time to give the fraction of the FLOP roofline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.utils.flop_counter import FlopCounterMode
from transformers import DynamicCache

from eagle_eval.model_adapters.eagle.checkpoint import build_empty_model, place_buffers
from eagle_eval.model_adapters.eagle.config import EagleConfig
from eagle_eval.model_adapters.eagle.generation import cache_keyword

META = torch.device("meta")


@dataclass
class SampleFlops:
    """FLOPs of one sample, by part."""

    vision: dict[str, float] = field(default_factory=dict)  # expert name -> FLOPs
    projector: float = 0.0
    prefill: float = 0.0
    decode: float = 0.0  # all new tokens after the first

    @property
    def total(self) -> float:
        return sum(self.vision.values()) + self.projector + self.prefill + self.decode

    def parts(self) -> dict[str, float]:
        named = {f"vision: {name}": value for name, value in self.vision.items()}
        return {**named, "projector": self.projector, "LLM prefill": self.prefill, "LLM decode": self.decode}


def _counted(function, *args, **kwargs) -> tuple[object, float]:
    with FlopCounterMode(display=False) as counter:
        result = function(*args, **kwargs)
    return result, float(counter.get_total_flops())


@torch.no_grad()
def count_sample_flops(config: EagleConfig, prompt_tokens: int, new_tokens: int) -> SampleFlops:
    """FLOPs for one image and a prompt of `prompt_tokens` LLM positions (text + image tokens), decoding
    `new_tokens` tokens (the first comes from the prefill)."""
    if prompt_tokens < 1 or new_tokens < 1:
        raise ValueError(f"need at least one prompt position and one new token, got {prompt_tokens}, {new_tokens}")
    model = build_empty_model(config)
    place_buffers(model, lambda _name: META)
    tower = model.vision_tower
    size = config.vision.image_size
    pixels = torch.empty(1, 3, size, size, device=META)
    with FlopCounterMode(display=False) as counter:
        features = tower(pixels)
    # The counter keys each submodule by its path under the called module's class name.
    per_module = counter.get_flop_counts()
    prefix = f"{type(tower).__name__}.vision_towers"
    flops = SampleFlops(vision={name: float(sum(per_module[f"{prefix}.{index}"].values()))
                                for index, name in enumerate(config.vision.experts)})
    _, flops.projector = _counted(model.mm_projector, features)

    llm = model.llm
    embeds = torch.empty(1, prompt_tokens, config.llm.hidden_size, device=META)
    positions = torch.arange(prompt_tokens, device=META)[None]
    cache = {cache_keyword(llm): DynamicCache(config=llm.config)}
    _, flops.prefill = _counted(llm, inputs_embeds=embeds, position_ids=positions, use_cache=True,
                                logits_to_keep=1, **cache)
    # Decode steps differ only in the attention span; count each one at its own cache length.
    for step in range(new_tokens - 1):
        token = torch.zeros(1, 1, dtype=torch.long, device=META)
        _, step_flops = _counted(llm, input_ids=token, position_ids=positions[:, -1:] + 1 + step,
                                 use_cache=True, **cache)
        flops.decode += step_flops
    return flops
