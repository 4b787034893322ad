"""The command line: `eagle-eval models` lists the Eagle 2 presets, and a whole `eagle-eval run` of the tiny
Eagle 2.5 model over every task's bundled samples, under NVIDIA's Eagle 2 protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eagle_eval.api.registry import task_names
from eagle_eval.cli import main

BUNDLED = Path(__file__).resolve().parents[3] / "data" / "hub"


def test_models_lists_every_eagle2_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json"]) == 0
    listed = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    for name, hub_id in (("eagle2-1b", "nvidia/Eagle2-1B"), ("eagle2-2b", "nvidia/Eagle2-2B"),
                         ("eagle2-9b", "nvidia/Eagle2-9B"), ("eagle2.5-8b", "nvidia/Eagle2.5-8B"),
                         ("eagle2.5-tiny", None)):
        assert listed[name]["hub_id"] == hub_id
    assert main(["models"]) == 0
    assert "eagle2.5-8b" in capsys.readouterr().out


def test_models_show_names_hub_id_protocol_and_tensors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "show", "eagle2.5-8b"]) == 0
    out = capsys.readouterr().out
    assert "nvidia/Eagle2.5-8B" in out and "protocol" in out
    assert main(["models", "show", "eagle2.5-tiny", "--state-dict"]) == 0
    assert "mlp1.1.weight" in capsys.readouterr().out


def test_run_end_to_end_on_the_bundled_samples(tmp_path: Path) -> None:
    code = main(["run", "--model", "eagle2.5-tiny", "--tasks", "all", "--data-root", str(BUNDLED),
                 "--output-dir", str(tmp_path), "--device", "cpu", "--no-progress",
                 "--model-arg", "max_new_tokens=4"])
    assert code == 0
    (run_dir,) = tmp_path.iterdir()
    results = json.loads((run_dir / "results.json").read_text())
    assert results["n_errors"] == 0  # every task's prompt fits the Eagle 2 protocol's rewrite
    assert sorted(results["results"]) == task_names()
    assert results["model"]["settings"] == {"protocol": "eagle2", "max_new_tokens_cap": 4}
    assert results["model"]["extra"]["template"] == "qwen2-chat"
    rows = [json.loads(line) for line in (run_dir / "samples" / "chartqa.jsonl").read_text().splitlines()]
    assert rows and all(row["error"] is None for row in rows)


def test_each_released_preset_names_its_published_row() -> None:
    from eagle_eval.api.registry import get_model_entry
    from eagle_eval.results.reference import select_references

    for name in ("eagle2-1b", "eagle2-2b", "eagle2-9b", "eagle2.5-8b"):
        reference = get_model_entry(name).reference
        assert reference is not None
        (row,) = select_references(reference)
        assert row.checkpoint.lower() == f"nvidia/{name}".lower()
