"""Spreading 13B/34B models over several GPUs: the plan is made from module sizes, so it is checked here
at full size on the meta device (no GPU needed), and a map is honoured by the real loader."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch
from accelerate.utils import compute_module_sizes

from eagle_eval.model_adapters.eagle.checkpoint import (
    CheckpointError,
    _device_lookup,
    build_empty_model,
    load_eagle,
    plan_device_map,
)
from eagle_eval.model_adapters.eagle.presets import get_preset
from eagle_eval.model_adapters.eagle.templates import IMAGE_TOKEN_INDEX
from eagle_eval.model_adapters.eagle.tiny import write_tiny_checkpoint

GIB = 2**30


@pytest.fixture(scope="module")
def x5_34b():
    return build_empty_model(get_preset("eagle-x5-34b-plus").eagle_config())


def _loads(model, device_map) -> Counter:
    sizes = compute_module_sizes(model, dtype=torch.bfloat16)
    load: Counter = Counter()
    for name, gpu in device_map.items():
        load[gpu] += sizes.get(name, 0)
    return load


@pytest.mark.parametrize("gpus", [2, 3, 4])
def test_34b_is_balanced_in_whole_layers_with_the_tower_beside_the_embeddings(x5_34b, gpus: int) -> None:
    device_map = plan_device_map(x5_34b, torch.bfloat16, dict.fromkeys(range(gpus), "70GiB"))
    layer_count = x5_34b.config.llm.num_hidden_layers
    # Whole decoder layers only, in order: a layer is never cut, and devices never interleave.
    layer_gpus = [device_map[f"model.layers.{i}"] for i in range(layer_count)]
    assert layer_gpus == sorted(layer_gpus) and set(layer_gpus) == set(range(gpus))
    assert not any(key.startswith("model.layers.") and key.count(".") > 2 for key in device_map)
    for name in ("model.embed_tokens", "model.vision_tower", "model.mm_projector"):
        assert device_map[name] == 0
    assert device_map["lm_head"] == device_map["model.norm"] == gpus - 1
    # Every stored tensor has a device.
    lookup = _device_lookup(device_map)
    for name, _ in [*x5_34b.named_parameters(), *x5_34b.named_buffers()]:
        assert lookup(name) in range(gpus)
    # Balanced to within one decoder layer (~1.6 GiB in bf16).
    loads = _loads(x5_34b, device_map)
    layer_bytes = compute_module_sizes(x5_34b, dtype=torch.bfloat16)["model.layers.0"]
    assert max(loads.values()) - min(loads.values()) <= layer_bytes
    assert sum(loads.values()) == compute_module_sizes(x5_34b, dtype=torch.bfloat16)[""]


def test_a_model_that_does_not_fit_names_each_gpu_and_the_fix(x5_34b) -> None:
    with pytest.raises(CheckpointError, match=r"GPU 0 needs [\d.]+ GiB of 20.0 GiB.*add GPUs"):
        plan_device_map(x5_34b, torch.bfloat16, {0: "20GiB", 1: "20GiB"})
    with pytest.raises(CheckpointError, match="needs at least one GPU"):
        plan_device_map(x5_34b, torch.bfloat16, {})
    # 13B fits on two 16 GiB budgets: 26.6 GiB of LLM + 4.2 GiB of tower.
    x5_13b = build_empty_model(get_preset("eagle-x5-13b").eagle_config())
    device_map = plan_device_map(x5_13b, torch.bfloat16, {0: 16 * GIB, 1: 16 * GIB})
    assert max(_loads(x5_13b, device_map).values()) <= 16 * GIB


def test_loader_places_every_tensor_where_the_map_says(tmp_path: Path) -> None:
    directory = write_tiny_checkpoint(tmp_path / "tiny")
    plan = plan_device_map(build_empty_model(get_preset("eagle-tiny").eagle_config()), torch.float32,
                           {0: GIB, 1: GIB})
    assert set(plan.values()) == {0, 1}
    # The same plan with CPU devices: this machine has no GPUs, but the loader's placement is the same code.
    loaded = load_eagle(directory, device_map=dict.fromkeys(plan, "cpu"))
    plain = load_eagle(directory, device="cpu")
    assert loaded.device == torch.device("cpu") and loaded.dtype == torch.float32
    rows = [[1, 5, IMAGE_TOKEN_INDEX, 7, 9]]
    pixels = torch.zeros(1, 3, 256, 256)
    assert torch.equal(loaded.model(rows, pixels), plain.model(rows, pixels))
