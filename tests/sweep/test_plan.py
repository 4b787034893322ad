"""`sweep plan`: each cell state made real with runs on the bundled data (data/hub), no model loaded by the plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eagle_eval.api import registry
from eagle_eval.core.records import Doc
from eagle_eval.sweep import plan as sweep_plan
from eagle_eval.sweep.plan import plan_sweep
from eagle_eval.sweep.spec import load_sweep
from eagle_eval.tasks.pope import POPE

DATA = Path(__file__).resolve().parents[2] / "data" / "hub"


class PopeSweep(POPE):
    """POPE under another name, whose prompt a test can change."""

    name = "pope_sweep"
    tail = ""

    def prompt(self, doc: Doc) -> str:
        return super().prompt(doc) + self.tail


def _predictions(tmp_path: Path, doc_ids: range) -> Path:
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps({"doc_id": i, "prediction": "yes"}) + "\n" for i in doc_ids))
    return path


def _sweep(tmp_path: Path, models: list[dict[str, Any]], tasks: str = "pope", limit: int = 3,
           gen_kwargs: str | None = None) -> Path:
    settings: dict[str, Any] = {"data_root": str(DATA), "limit": limit}
    if gen_kwargs:
        settings["gen_kwargs"] = gen_kwargs
    path = tmp_path / "sweep.yaml"
    path.write_text(json.dumps({"output_root": "out", "models": models, "tasks": tasks, "settings": settings}))
    return path


def _replay(eagle, tmp_path: Path, predictions: Path, *extra: str, tasks: str = "pope", limit: str = "3") -> int:
    return eagle("run", "--model", "replay", "--predictions", predictions, "--tasks", tasks, "--limit", limit,
                 "--data-root", DATA, "--output-dir", tmp_path / "out", "--no-progress", *extra).code


def _cells(path: Path) -> dict[tuple[str, str], sweep_plan.Cell]:
    return {(cell.model, cell.task): cell for cell in plan_sweep(load_sweep(path))}


def test_new_then_done_with_the_replay_model(eagle, tmp_path: Path) -> None:
    predictions = _predictions(tmp_path, range(50))
    path = _sweep(tmp_path, [{"name": "replay", "predictions": str(predictions)}], tasks="pope,textvqa")
    before = _cells(path)
    assert before["replay", "pope"].state == "new" and "no run folder" in before["replay", "pope"].reason
    assert _replay(eagle, tmp_path, predictions) == 0
    after = _cells(path)
    assert (after["replay", "pope"].state, after["replay", "pope"].valid, after["replay", "pope"].total) == (
        "done", 3, 3)
    assert after["replay", "textvqa"].state == "new"
    assert after["replay", "textvqa"].reason == "no samples of the task in the run folder"


def test_partial_after_a_smaller_limit(eagle, tmp_path: Path) -> None:
    predictions = _predictions(tmp_path, range(50))
    assert _replay(eagle, tmp_path, predictions, limit="2") == 0
    cell = _cells(_sweep(tmp_path, [{"name": "replay", "predictions": str(predictions)}], limit=4))["replay", "pope"]
    assert (cell.state, cell.valid, cell.total) == ("partial", 2, 4)


def test_failed_names_the_first_error(eagle, tmp_path: Path) -> None:
    predictions = _predictions(tmp_path, range(1))
    assert _replay(eagle, tmp_path, predictions) == 3  # completed with sample errors
    cell = _cells(_sweep(tmp_path, [{"name": "replay", "predictions": str(predictions)}]))["replay", "pope"]
    assert cell.state == "failed" and cell.reason.startswith("2 of 3 samples failed: MissingPredictionError")


def test_stale_when_the_prompt_changes(eagle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry.get_task("pope")  # the registry loaded, before a test task joins it
    monkeypatch.setitem(registry._TASKS, PopeSweep.name, PopeSweep)
    predictions = _predictions(tmp_path, range(50))
    assert _replay(eagle, tmp_path, predictions, tasks="pope_sweep") == 0
    path = _sweep(tmp_path, [{"name": "replay", "predictions": str(predictions)}], tasks="pope_sweep")
    assert _cells(path)["replay", "pope_sweep"].state == "done"
    monkeypatch.setattr(PopeSweep, "tail", " Think first.")
    cell = _cells(path)["replay", "pope_sweep"]
    assert cell.state == "stale" and cell.reason.startswith("prompt or decoding changed: 3 of 3")


def test_rescore_when_only_the_scorer_changed(eagle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    predictions = _predictions(tmp_path, range(50))
    assert _replay(eagle, tmp_path, predictions) == 0
    path = _sweep(tmp_path, [{"name": "replay", "predictions": str(predictions)}])
    monkeypatch.setattr(sweep_plan, "scorer_version", lambda task: "sha256:000000000000")
    cell = _cells(path)["replay", "pope"]
    assert cell.state == "rescore" and "scorer changed" in cell.reason and cell.reason.endswith("sha256:000000000000)")


@pytest.mark.slow  # builds and runs the tiny checkpoint
def test_eagle_tiny_done_then_stale_under_other_gen_kwargs(eagle, tmp_path: Path) -> None:
    done = eagle("run", "--model", "eagle-tiny", "--tasks", "pope", "--limit", "2", "--data-root", DATA,
                 "--output-dir", tmp_path / "out", "--no-progress")
    assert done.code == 0, done.err
    cell = _cells(_sweep(tmp_path, [{"name": "eagle-tiny"}], limit=2))["eagle-tiny", "pope"]
    assert cell.state == "done" and "identified when a run loads them" in cell.reason
    cell = _cells(_sweep(tmp_path, [{"name": "eagle-tiny"}], limit=2, gen_kwargs="max_new_tokens=4"))[
        "eagle-tiny", "pope"]
    assert cell.state == "stale" and cell.reason.startswith("decoding changed: gen_kwargs task defaults in eagle-tiny__")


def test_the_command_prints_markdown_when_piped_and_json_on_request(eagle, tmp_path: Path) -> None:
    path = _sweep(tmp_path, [{"name": "replay", "predictions": str(_predictions(tmp_path, range(3)))},
                             {"name": "eagle-x5-7b"}])
    shown = eagle("sweep", "plan", path)
    assert shown.code == 0 and shown.out.startswith("| model | task | state | reason | run |\n|---|")
    assert shown.out.rstrip().endswith("2 cells: 2 new")
    data = json.loads(eagle("sweep", "plan", path, "--json").out)
    assert data["counts"]["new"] == 2 and [c["model"] for c in data["cells"]] == ["replay", "eagle-x5-7b"]
