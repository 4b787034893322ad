"""The eagle2-9b preset: the original Eagle 2 format's architecture is known offline (tensor list, FLOPs), and the
registry loads it instead of refusing it."""

from __future__ import annotations

import pytest

from eagle_eval.model_adapters.eagle2.chat_format import Eagle2ChatConfig
from eagle_eval.model_adapters.eagle2.checkpoint import expected_checkpoint_tensors
from eagle_eval.model_adapters.eagle2.presets import get_preset

TOWERS = "vision_model.vision_model.vision_towers."


def test_the_9b_preset_lists_its_released_tensors_offline() -> None:
    config = get_preset("eagle2-9b").eagle2_config()
    assert isinstance(config, Eagle2ChatConfig)
    assert (config.tokens_per_tile, config.projector_input_size) == (256, 4 * 1152 + 3072)
    tensors = dict(expected_checkpoint_tensors(config))
    assert tensors["mlp1.0.weight"] == (7680,)
    assert tensors["mlp1.1.weight"] == (3584, 7680)
    assert tensors[TOWERS + "0.vision_tower.stem.0.weight"] == (384, 3, 4, 4)
    assert tensors[TOWERS + "0.vision_tower.stages.2.blocks.29.weight"] == (1536,)  # layer scale, NVIDIA's name
    assert tensors[TOWERS + "1.vision_tower.vision_model.embeddings.patch_embedding.weight"] == (1152, 3, 14, 14)
    assert tensors[TOWERS + "1.vision_tower.vision_model.head.probe"] == (1, 1, 1152)
    assert tensors["language_model.lm_head.weight"] == (152064, 3584)
    assert not [k for k in tensors if k.startswith(TOWERS) and ".gamma" in k]


@pytest.mark.slow  # counts the FLOPs of two full-size configurations (about 5 s)
def test_the_9b_flops_count_both_towers() -> None:
    from eagle_eval.model_adapters.eagle2.capabilities import sample_flops

    nine = sample_flops("eagle2-9b", text_tokens=32, new_tokens=1)
    eight = sample_flops("eagle2.5-8b", text_tokens=32, new_tokens=1)
    vision = "vision (7 tiles)"
    assert nine.parts[vision] > eight.parts[vision]  # ConvNeXt-XXL at 512 px on top of SigLIP
    assert nine.parts["projector"] > eight.parts["projector"]  # 7680 input channels against 4608


def test_the_registry_no_longer_refuses_the_9b() -> None:
    from eagle_eval.api.registry import get_model_entry

    entry = get_model_entry("eagle2-9b")
    assert "not implemented" not in entry.description
    assert any("Eagle2ChatModel" in note for note in entry.notes)
