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


@pytest.mark.slow  # two 7B models counted on the meta device
def test_flops_by_part_for_x5_and_x4(capsys: pytest.CaptureFixture[str]) -> None:
    def parts(name: str) -> dict[str, float]:
        # Two new tokens: one decode step is enough to print every part (each step walks the 7B LLM).
        assert main(["models", "show", name, "--flops", "--text-tokens", "70", "--new-tokens", "2"]) == 0
        lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("#")]
        return {part: float(value) for part, value in (line.split("\t") for line in lines)}

    x5, x4 = parts("eagle-x5"), parts("eagle-x4-7b")
    assert x5["total"] == pytest.approx(sum(v for k, v in x5.items() if k != "total"), abs=0.005)
    assert "vision: sam-1024" in x5 and "vision: sam-1024" not in x4
    # Same Vicuna-7B LLM and prompt: only SAM and the projector's input width differ.
    assert x5["LLM prefill"] == x4["LLM prefill"] and x5["vision: convnext-1024"] == x4["vision: convnext-1024"]
    assert main(["models", "show", "replay", "--flops"]) == 2
