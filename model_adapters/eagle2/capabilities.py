"""What the Eagle 2 family offers the command line beyond evaluation (eagle_eval.api.registry.ModelCapabilities).

Each callable imports torch and the model code only when called, so listing models stays cheap.
"""

from __future__ import annotations

from functools import partial

from eagle_eval.api.registry import ModelCapabilities, SampleFlops

# Tiles of the FLOP figure: the default maximum of 6 plus the thumbnail, the most a 6-tile image takes.
FLOPS_TILES = 7


def checkpoint_tensors(preset_name: str) -> list[tuple[str, tuple[int, ...]]]:
    from eagle_eval.model_adapters.eagle2.checkpoint import expected_checkpoint_tensors
    from eagle_eval.model_adapters.eagle2.presets import get_preset

    preset = get_preset(preset_name)
    return expected_checkpoint_tensors(preset.eagle2_config(vocab_size=512 if preset.tiny else None))


def sample_flops(preset_name: str, text_tokens: int, new_tokens: int) -> SampleFlops:
    from eagle_eval.model_adapters.eagle2.flops import count_sample_flops
    from eagle_eval.model_adapters.eagle2.presets import get_preset

    preset = get_preset(preset_name)
    config = preset.eagle2_config(vocab_size=512 if preset.tiny else None)
    flops = count_sample_flops(config, FLOPS_TILES, text_tokens, new_tokens)
    return SampleFlops(
        description=(f"one image in {FLOPS_TILES} tiles ({FLOPS_TILES * config.tokens_per_tile} tokens), "
                     f"{text_tokens} text tokens, {new_tokens} new tokens"),
        parts=dict(flops.parts()), total=float(flops.total),
    )


def capabilities_for(preset_name: str) -> ModelCapabilities:
    return ModelCapabilities(checkpoint_tensors=partial(checkpoint_tensors, preset_name),
                             sample_flops=partial(sample_flops, preset_name))
