"""FLOPs per sample, counted on the meta device (as for Eagle-X): the connector by hand, the tiles linearly."""

from __future__ import annotations

import pytest

from eagle_eval.model_adapters.eagle2.flops import count_sample_flops
from eagle_eval.model_adapters.eagle2.presets import get_preset


@pytest.fixture(scope="module")
def config_8b():
    return get_preset("eagle2.5-8b").eagle2_config()


def test_connector_is_two_matmuls_per_image_token(config_8b) -> None:
    flops = count_sample_flops(config_8b, tiles=7, text_tokens=20, new_tokens=1)
    tokens = 7 * 256
    assert flops.projector == 2 * tokens * (4608 * 3584 + 3584 * 3584)
    assert flops.decode == 0


def test_vision_grows_linearly_with_tiles_and_prefill_with_the_prompt(config_8b) -> None:
    one = count_sample_flops(config_8b, tiles=1, text_tokens=20, new_tokens=2)
    three = count_sample_flops(config_8b, tiles=3, text_tokens=20, new_tokens=2)
    assert three.vision == 3 * one.vision
    assert three.prefill > 2.9 * one.prefill * (20 + 768) / (20 + 256) / 3
    # SigLIP so400m at 32 × 32 patches: about 2 × 0.4 B parameters × 1,024 patches per tile, plus attention
    assert 0.7e12 < one.vision < 1.2e12
    assert one.decode > 0 and one.total == one.vision + one.projector + one.prefill + one.decode


def test_rejects_an_empty_sample(config_8b) -> None:
    with pytest.raises(ValueError, match="at least one tile"):
        count_sample_flops(config_8b, tiles=0, text_tokens=1, new_tokens=1)
