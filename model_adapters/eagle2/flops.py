"""FLOPs of one Eagle 2.5 sample, counted from the module tree on the meta device (no weights, no compute).

As for Eagle-X (eagle_eval.model_adapters.eagle.flops): the vision model (per tile, times the tiles),
the connector, the LLM prefill and every decode step run under torch's `FlopCounterMode` on meta
tensors, so the figure follows the architecture as built. A multiply-add counts as two FLOPs; attention
counts the full score matrix; the prefill projects only the last position onto the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode
from transformers import DynamicCache

from eagle_eval.model_adapters.eagle.generation import cache_keyword
from eagle_eval.model_adapters.eagle2.checkpoint import build_empty_model
from eagle_eval.model_adapters.eagle2.config import Eagle2Config

META = torch.device("meta")


@dataclass
class SampleFlops:
    tiles: int
    vision: float = 0.0
    projector: float = 0.0
    prefill: float = 0.0
    decode: float = 0.0

    @property
    def total(self) -> float:
        return self.vision + self.projector + self.prefill + self.decode

    def parts(self) -> dict[str, float]:
        return {f"vision ({self.tiles} tiles)": self.vision, "projector": self.projector,
                "LLM prefill": self.prefill, "LLM decode": self.decode}


def _counted(function, *args, **kwargs) -> float:
    with FlopCounterMode(display=False) as counter:
        function(*args, **kwargs)
    return float(counter.get_total_flops())


@torch.no_grad()
def count_sample_flops(config: Eagle2Config, tiles: int, text_tokens: int, new_tokens: int) -> SampleFlops:
    """FLOPs for one image cut into `tiles` tiles (thumbnail included), `text_tokens` prompt tokens besides
    the image tokens, and `new_tokens` generated tokens (the first comes from the prefill)."""
    if tiles < 1 or text_tokens < 0 or new_tokens < 1:
        raise ValueError(f"need at least one tile and one new token, got {tiles}, {text_tokens}, {new_tokens}")
    model = build_empty_model(config)
    for name, buffer in list(model.named_buffers()):
        module_name, _, leaf = name.rpartition(".")
        model.get_submodule(module_name)._buffers[leaf] = buffer.to(META)
    size = config.tile_size
    flops = SampleFlops(tiles=tiles)
    pixels = torch.empty(tiles, 3, size, size, device=META)
    flops.vision = _counted(model.vision_features, pixels)
    features = model.vision_features(pixels)  # on META: only its shape (mlp1's input, which differs by format)
    flops.projector = _counted(model.project, features)
    llm = model.language_model
    prompt = text_tokens + tiles * config.tokens_per_tile
    embeds = torch.empty(1, prompt, config.text.hidden_size, device=META)
    positions = torch.arange(prompt, device=META)[None]
    cache = {cache_keyword(llm): DynamicCache(config=llm.config)}
    flops.prefill = _counted(llm, inputs_embeds=embeds, position_ids=positions, use_cache=True, logits_to_keep=1,
                             **cache)
    for step in range(new_tokens - 1):
        token = torch.zeros(1, 1, dtype=torch.long, device=META)
        flops.decode += _counted(llm, input_ids=token, position_ids=positions[:, -1:] + 1 + step, use_cache=True,
                                 **cache)
    return flops
