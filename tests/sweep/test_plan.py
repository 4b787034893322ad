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


def test_samples_without_results_are_judged_by_the_run_folders_last_load(eagle, tmp_path: Path) -> None:
    """A run stopped in its first task has samples and no results.json: the load record names the model."""
    assert _replay(eagle, tmp_path, _predictions(tmp_path, range(50)), limit="4") == 0
    (run_dir,) = (tmp_path / "out").iterdir()
    (run_dir / "results.json").unlink()
    samples = run_dir / "samples" / "pope.jsonl"
    samples.write_text("".join(samples.read_text().splitlines(keepends=True)[:3]))
    path = _sweep(tmp_path, [{"name": "replay", "predictions": str(tmp_path / "predictions.jsonl")}], limit=4)
    cell = _cells(path)["replay", "pope"]
    assert (cell.state, cell.valid, cell.total) == ("partial", 3, 4), cell.reason
    (run_dir / "model-load.json").unlink()
    cell = _cells(path)["replay", "pope"]
    assert cell.state == "unknown" and "no results.json gives the model fingerprint" in cell.reason


def test_the_command_prints_markdown_when_piped_and_json_on_request(eagle, tmp_path: Path) -> None:
    path = _sweep(tmp_path, [{"name": "replay", "predictions": str(_predictions(tmp_path, range(3)))},
                             {"name": "eagle-x5-7b"}])
    shown = eagle("sweep", "plan", path)
    assert shown.code == 0 and shown.out.startswith("| model | task | state | reason | run |\n|---|")
    assert "\n2 cells: 2 new\n| job | model | tasks | samples | predicted |" in shown.out
    # One job a model; eagle-x5-7b at the executor's assumed 300 s load and 0.5 s a sample, 1 GPU.
    assert shown.out.rstrip().endswith("2 job(s), predicted 0.17 GPU-hours (1 GPU(s) per job)")
    data = json.loads(eagle("sweep", "plan", path, "--json").out)
    assert data["counts"]["new"] == 2 and [c["model"] for c in data["cells"]] == ["replay", "eagle-x5-7b"]
    assert [(job["model"], job["tasks"], job["samples"]) for job in data["jobs"]] == [
        ("replay", ["pope"], 3), ("eagle-x5-7b", ["pope"], 3)]
    assert data["predicted_gpu_hours"] == round(2 * (300 + 3 * 0.5) / 3600, 3)


def test_stale_when_the_lock_holds_other_data(eagle, tmp_path: Path) -> None:
    predictions = _predictions(tmp_path, range(50))
    assert _replay(eagle, tmp_path, predictions) == 0
    lock = tmp_path / "eagle.lock"
    assert eagle("lock", "--tasks", "pope", "--data-root", DATA, "-o", lock).code == 0
    path = _sweep(tmp_path, [{"name": "replay", "predictions": str(predictions)}])
    text = json.loads(path.read_text())
    text["settings"]["lock"] = str(lock)
    path.write_text(json.dumps(text))
    assert _cells(path)["replay", "pope"].state == "done"  # the lock holds what the run read
    data = json.loads(lock.read_text())
    data["datasets"][0]["content_hash"] = "sha256:" + "0" * 64
    lock.write_text(json.dumps(data))
    cell = _cells(path)["replay", "pope"]
    assert cell.state == "stale" and cell.reason.startswith("data changed: lmms-lab/POPE test content sha256:dd82")


def test_stale_when_the_checkpoint_folder_changed(eagle, tmp_path: Path) -> None:
    from eagle_eval.sweep.plan import run_config

    predictions = _predictions(tmp_path, range(50))
    assert _replay(eagle, tmp_path, predictions) == 0
    checkpoint = tmp_path / "ckpt"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text("{}")
    path = _sweep(tmp_path, [{"name": "replay", "predictions": str(predictions), "model_path": str(checkpoint)}])
    sweep = load_sweep(path)
    # The replay run stands in for a run of this checkpoint: its folder under the checkpoint's run id,
    # with the fingerprint of weights saved before.
    from eagle_eval.run.fingerprints import compute_run_id

    run_dir = next((tmp_path / "out").iterdir()).rename(tmp_path / "out" / compute_run_id(run_config(sweep, sweep.models[0])))
    results = json.loads((run_dir / "results.json").read_text())
    results["model"]["weights"] = {"directory": str(checkpoint), "commit": None, "fingerprint": "before"}
    (run_dir / "results.json").write_text(json.dumps(results))
    cell = _cells(path)["replay", "pope"]
    assert cell.state == "stale" and cell.reason.startswith(f"weights changed: checkpoint {checkpoint} fingerprint before ->")


def test_stale_when_the_task_was_scored_under_another_model(eagle, tmp_path: Path) -> None:
    predictions = _predictions(tmp_path, range(50))
    assert _replay(eagle, tmp_path, predictions) == 0
    results_path = next((tmp_path / "out").glob("*/results.json"))
    results = json.loads(results_path.read_text())
    results["results"]["pope"]["model_fingerprint"] = "0123456789abcdef"
    results_path.write_text(json.dumps(results))
    cell = _cells(_sweep(tmp_path, [{"name": "replay", "predictions": str(predictions)}]))["replay", "pope"]
    assert cell.state == "stale" and cell.reason.startswith("model fingerprint changed: the task was scored under 0123")


def test_a_terminal_gets_a_table(eagle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eagle_eval.cli import sweep_views

    monkeypatch.setattr(sweep_views, "_is_terminal", lambda: True)
    shown = eagle("sweep", "plan", _sweep(tmp_path, [{"name": "eagle-x5-7b"}]))
    assert shown.code == 0 and "┃ model" in shown.out and "| model |" not in shown.out
    assert "no run" in shown.out and "1 cell: 1 new" in shown.out


def test_another_models_run_at_other_gen_kwargs_is_not_an_earlier_decoding(eagle, tmp_path: Path) -> None:
    assert _replay(eagle, tmp_path, _predictions(tmp_path, range(50))) == 0
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"doc_id": 0, "prediction": "no"}) + "\n")
    cell = _cells(_sweep(tmp_path, [{"name": "replay", "predictions": str(other)}], gen_kwargs="max_new_tokens=4"))[
        "replay", "pope"]
    assert cell.state == "new" and cell.reason.startswith("no run folder replay__")
