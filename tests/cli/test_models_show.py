"""`eagle-eval models show NAME --state-dict` prints the real expected tensors, no download."""

from __future__ import annotations

import re

import pytest

from eagle_eval.cli import main
from eagle_eval.model_adapters.eagle.state_dict_listing import expected_checkpoint_tensors


def _listing(capsys: pytest.CaptureFixture[str], name: str) -> list[tuple[str, tuple[int, ...]]]:
    assert main(["models", "show", name, "--state-dict"]) == 0
    rows = []
    for line in capsys.readouterr().out.splitlines():
        key, shape = line.split("\t")
        assert re.fullmatch(r"\[\d+(, \d+)*\]", shape), line
        rows.append((key, tuple(int(d) for d in shape.strip("[]").split(", "))))
    return rows


@pytest.mark.parametrize("name", ["eagle-x5-7b", "eagle-x4-8b-plus"])
def test_cli_prints_every_expected_tensor(capsys: pytest.CaptureFixture[str], name: str) -> None:
    printed = _listing(capsys, name)
    assert printed == expected_checkpoint_tensors(name)  # checked against the published key lists elsewhere
    assert len({key for key, _ in printed}) == len(printed)


def test_x4_8b_plus_shares_the_x4_vision_tower_and_has_llama3_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    plus = dict(_listing(capsys, "eagle-x4-8b-plus"))
    vicuna = dict(_listing(capsys, "eagle-x4-7b"))
    vision = {k: v for k, v in vicuna.items() if k.startswith("model.vision_tower.")}
    assert {k: v for k, v in plus.items() if k.startswith("model.vision_tower.")} == vision
    assert plus["model.embed_tokens.weight"] == (128257, 4096)
    assert plus["model.layers.31.self_attn.v_proj.weight"] == (1024, 4096)


def test_alias_resolves_to_the_7b_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert _listing(capsys, "eagle-x5") == _listing(capsys, "eagle-x5-7b")


@pytest.mark.slow  # a 7B model counted on the meta device
def test_flops_by_part_for_x5(capsys: pytest.CaptureFixture[str]) -> None:
    # Two new tokens: one decode step is enough to print every part (each step walks the 7B LLM).
    # X4 is X5 without SAM part by part: tests/model_adapters/eagle/test_eagle_flops.py counts both.
    assert main(["models", "show", "eagle-x5", "--flops", "--text-tokens", "70", "--new-tokens", "2"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("#")]
    x5 = {part: float(value) for part, value in (line.split("\t") for line in lines)}
    experts = ("clip-448", "convnext-1024", "sam-1024", "det-1024", "pix2struct-1024")
    assert list(x5) == [f"vision: {name}" for name in experts] + ["projector", "LLM prefill", "LLM decode", "total"]
    assert x5["total"] == pytest.approx(sum(v for k, v in x5.items() if k != "total"), abs=0.005)
    # Vicuna-7B over 70 text + 1,024 image positions: 2 x positions x weights, the 32 layers' score
    # matrices (4 x P^2 x 4096 each) and one lm_head row: 14.797 TFLOP.
    positions, weights = 70 + 1024, 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008)
    prefill = 2 * positions * weights + 32 * 4 * positions * positions * 4096 + 2 * 4096 * 32000
    assert x5["LLM prefill"] == round(prefill / 1e12, 3)
    assert main(["models", "show", "replay", "--flops"]) == 2
