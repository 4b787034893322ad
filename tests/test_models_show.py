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
