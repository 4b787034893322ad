"""The run dtype: fp16 on GPU for the released checkpoints (the dtype their paper numbers came from)."""

from __future__ import annotations

import pytest
import torch

from eagle_eval.api.registry import ModelOptions
from eagle_eval.model_adapters.eagle import checkpoint
from eagle_eval.model_adapters.eagle.checkpoint import default_dtype, parse_dtype
from eagle_eval.model_adapters.eagle.presets import get_preset
from eagle_eval.model_adapters.eagle.registration import build_adapter

GPU, CPU = torch.device("cuda"), torch.device("cpu")


def test_released_checkpoints_default_to_fp16_on_gpu_and_bf16_stays_selectable() -> None:
    assert default_dtype(GPU, released=True) is torch.float16
    assert default_dtype(GPU, released=False) is torch.bfloat16
    assert default_dtype(CPU, released=True) is torch.float32
    assert parse_dtype(None, GPU, released=True) is torch.float16
    assert parse_dtype("bf16", GPU, released=True) is torch.bfloat16
    assert parse_dtype("bfloat16", GPU, released=True) is torch.bfloat16
    with pytest.raises(ValueError, match="unknown dtype"):
        parse_dtype("half-ish", GPU)


class _Stop(Exception):
    pass


@pytest.mark.parametrize(("preset", "released"), [("eagle-x5-7b", True), ("eagle-x5-34b-plus", True),
                                                  ("eagle-tiny", False)])
def test_presets_ask_the_loader_for_the_released_default(preset: str, released: bool,
                                                         monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    seen: dict = {}

    def fake_load(source, **kwargs):
        seen.update(kwargs)
        raise _Stop

    monkeypatch.setattr(checkpoint, "load_eagle", fake_load)
    monkeypatch.setattr("eagle_eval.model_adapters.eagle.tiny.ensure_tiny_checkpoint", lambda name: tmp_path)
    with pytest.raises(_Stop):
        build_adapter(get_preset(preset), ModelOptions(device="cuda"))
    assert seen["released_preset"] is released and seen["dtype"] is None
