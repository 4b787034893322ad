"""`sweep run|status|board` with the local executor on the bundled data: three models (eagle-tiny, a
tiny `hf:` VLM, replay) × four tasks to done and a board; a rerun submits nothing; a queue that gives
each job its own GPUs and never runs more jobs than slots; a bad checkpoint path failing only its own
cells; a stopped sweep resumed to the results of an uninterrupted one; a lost part of a samples file
making its cell partial (and empty on the board), never a smaller score."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from eagle_eval.results.table_rows import INCOMPLETE_MARK
from eagle_eval.sweep.records import SWEEP_DIR, read_state
from tests.sweep.sweeps import (
    DATA,
    headlines,
    predictions,
    replay_folder,
    status_of,
    use_session_tiny_checkpoint,
    wait_until,
    write_sweep,
)

pytestmark = pytest.mark.slow
CPU = {"kind": "local", "gpus_per_job": 0, "max_jobs": 2}
FOUR = ("pope", "textvqa", "chartqa", "mme")


def _states(output_root: Path) -> list:
    return [read_state(path) for path in sorted((output_root / SWEEP_DIR).glob("*/*.state.json"))]


def test_three_models_on_four_tasks_end_done_with_a_board_and_a_rerun_submits_nothing(
        eagle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eagle_eval.model_adapters.hf.tiny import write_tiny_vlm

    use_session_tiny_checkpoint(monkeypatch)
    llava = write_tiny_vlm(tmp_path / "tiny-llava", "llava")
    replay = replay_folder(tmp_path / "answers", FOUR, limit=2)
    path = write_sweep(tmp_path, ["eagle-tiny", {"name": f"hf:{llava}", "label": "tiny-llava"},
                                  {"name": "replay", "predictions": str(replay)}], FOUR, CPU, limit=2)
    ran = eagle("sweep", "run", path)
    assert ran.code == 0, ran.err
    status = status_of(path)
    assert len(status) == 12 and {cell.state for cell in status.values()} == {"done"}, \
        {key: (c.state, c.reason) for key, c in status.items() if c.state != "done"}
    # Each job landed in the folder `eagle-eval run` names for its model and settings: run by hand
    # into the same root, the replay model finds every sample stored there and makes no new folder.
    folders = sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir() and not p.name.startswith("."))
    by_hand = eagle("run", "--model", "replay", "--predictions", replay, "--tasks", "pope", "--limit", "2",
                    "--data-root", DATA, "--output-dir", tmp_path / "out", "--no-progress")
    assert by_hand.code == 0 and "board" in folders
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir() and not p.name.startswith(".")) == folders
    assert len(folders) == 4  # three run folders and the board
    board = tmp_path / "out" / "board"
    table = (board / "board.md").read_text()
    assert [line.split("|")[2].strip() for line in table.splitlines() if line.startswith("|") and
            line.split("|")[1].strip().isdigit()] == sorted(["eagle-tiny", "tiny-llava", "replay"], key=table.index)
    assert INCOMPLETE_MARK not in table
    index = (board / "index.html").read_text()
    reports = sorted(p.name for p in (board / "reports").glob("*.html"))
    assert len(reports) == 3 and all(f'href="reports/{name}"' in index for name in reports)
    hours = json.loads(eagle("sweep", "board", path, "--json").out)["gpu_hours"]
    assert set(hours) == {"eagle-tiny", "tiny-llava", "replay"}
    assert all(state.state == "done" and state.attempts == 1 and state.wall_seconds > 0
               for state in _states(tmp_path / "out"))
    rerun = json.loads(eagle("sweep", "run", path, "--json").out)
    assert rerun["jobs"] == []


def test_each_job_gets_its_own_gpus_and_no_more_jobs_run_than_slots(eagle, tmp_path: Path) -> None:
    models = [{"name": "replay", "predictions": str(replay_folder(tmp_path / f"answers{i}", ["pope"], answer=a, limit=3)),
               "label": f"replay-{a}"} for i, a in enumerate(("yes", "no", "maybe"))]
    path = write_sweep(tmp_path, models, ["pope"], {"kind": "local", "gpus_per_job": 2, "gpus": [0, 1, 2, 3]},
                       limit=3)
    assert eagle("sweep", "run", path).code == 0
    states = _states(tmp_path / "out")
    assert sorted(state.extra["cuda_visible_devices"] for state in states)[:2] in (["0,1", "0,1"], ["0,1", "2,3"])
    assert {state.extra["cuda_visible_devices"] for state in states} <= {"0,1", "2,3"}
    spans = sorted((state.started, state.ended) for state in states)
    for start, _ in spans:  # at any job's start, at most two jobs hold a slot
        assert sum(1 for s, e in spans if s <= start < e) <= 2
    assert spans[2][0] >= min(spans[0][1], spans[1][1])  # the third waited for a free slot
    assert {cell.state for cell in status_of(path).values()} == {"done"}
    board = json.loads(eagle("sweep", "board", path, "--json").out)
    for label in ("replay-yes", "replay-no", "replay-maybe"):  # measured: wall time × the job's 2 GPUs
        assert board["job_hours"][label] > 0
        assert board["gpu_hours"][label] == pytest.approx(2 * board["job_hours"][label], abs=2e-4)


def test_a_model_with_a_bad_path_fails_only_its_own_cells(eagle, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    replay = replay_folder(tmp_path / "answers", ["pope", "textvqa"], limit=3)
    path = write_sweep(tmp_path, [{"name": "eagle-tiny", "model_path": str(tmp_path / "no-such-checkpoint")},
                                  {"name": "replay", "predictions": str(replay)}], ["pope", "textvqa"], CPU, limit=3)
    assert eagle("sweep", "run", path).code == 0
    status = status_of(path)
    assert status["replay", "pope"].state == status["replay", "textvqa"].state == "done"
    for task in ("pope", "textvqa"):
        cell = status["eagle-tiny", task]
        assert cell.state == "failed" and "no-such-checkpoint" in cell.reason, cell.reason
    table = (tmp_path / "out" / "board" / "board.md").read_text()
    assert "replay" in table and "eagle-tiny" not in table.split("\n\n")[0]


def test_a_stopped_sweep_resumes_to_the_results_of_an_uninterrupted_one(eagle, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_tiny_checkpoint(monkeypatch)
    tasks = ["textvqa", "ocrbench"]
    stopped = write_sweep(tmp_path / "stopped", ["eagle-tiny"], tasks, CPU, gen_kwargs={"max_new_tokens": 48})
    whole = write_sweep(tmp_path / "whole", ["eagle-tiny"], tasks, CPU, gen_kwargs={"max_new_tokens": 48})
    driver = subprocess.Popen([sys.executable, "-m", "eagle_eval", "sweep", "run", str(stopped)],
                              env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    run_dir = next(iter(status_of(stopped).values())).cell.run_id
    samples = tmp_path / "stopped" / "out" / run_dir / "samples" / "ocrbench.jsonl"
    wait_until("two ocrbench samples stored", lambda: samples.is_file() and len(samples.read_text().splitlines()) >= 2)
    driver.send_signal(signal.SIGTERM)
    assert driver.wait(timeout=60) != 0
    cells = status_of(stopped)
    assert cells["eagle-tiny", "textvqa"].state == "done"
    stopped_cell = cells["eagle-tiny", "ocrbench"]
    assert stopped_cell.state == "partial" and 2 <= stopped_cell.valid < stopped_cell.total == 10, stopped_cell.reason
    assert "stopped from outside" in stopped_cell.reason
    assert eagle("sweep", "run", stopped).code == 0
    assert eagle("sweep", "run", whole).code == 0
    assert {cell.state for cell in status_of(stopped).values()} == {"done"}
    one, other = (tmp_path / name / "out" / run_dir for name in ("stopped", "whole"))
    for task in tasks:
        assert predictions(one, task) == predictions(other, task)
    assert headlines(one) == headlines(other)


def test_a_lost_part_of_a_samples_file_makes_the_cell_partial_never_a_smaller_score(eagle, tmp_path: Path) -> None:
    replay = replay_folder(tmp_path / "answers", ["pope", "textvqa"], limit=6)
    path = write_sweep(tmp_path, [{"name": "replay", "predictions": str(replay)}], ["pope", "textvqa"], CPU, limit=6)
    assert eagle("sweep", "run", path).code == 0
    run_dir = tmp_path / "out" / status_of(path)["replay", "pope"].cell.run_id
    pope = run_dir / "samples" / "pope.jsonl"
    lines = pope.read_text().splitlines(keepends=True)
    pope.write_text("".join(lines[:2] + lines[4:]))  # a middle part gone, as a lost shard would leave it
    cell = status_of(path)["replay", "pope"]
    assert (cell.state, cell.valid, cell.total) == ("partial", 4, 6)
    board = json.loads(eagle("sweep", "board", path, "--json").out)
    (row,) = [row for row in board["rows"] if row["kind"] == "run"]
    assert row["values"].get("POPE") is None and INCOMPLETE_MARK in row["marks"]["POPE"]
    assert row["values"]["TextVQA"] is not None
    assert [c["task"] for c in board["cells_not_done"]] == ["pope"]
    assert eagle("sweep", "run", path).code == 0  # generates the two missing samples only
    assert status_of(path)["replay", "pope"].state == "done"
    assert sum(state.samples_generated for state in _states(tmp_path / "out")) == 12 + 2


def test_a_changed_prompt_or_scorer_touches_exactly_the_affected_cells(eagle, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from eagle_eval.api import registry

    use_session_tiny_checkpoint(monkeypatch)
    path = write_sweep(tmp_path, ["eagle-tiny"], ["pope", "vizwiz", "chartqa"], CPU, limit=2)
    assert eagle("sweep", "run", path).code == 0
    assert {cell.state for cell in status_of(path).values()} == {"done"}
    # The scorer of chartqa as an older release recorded it: that cell alone is re-scored, without the model.
    run_dir = tmp_path / "out" / status_of(path)["eagle-tiny", "pope"].cell.run_id
    results = json.loads((run_dir / "results.json").read_text())
    results["results"]["chartqa"]["scorer"] = "sha256:000000000000"
    (run_dir / "results.json").write_text(json.dumps(results))
    cells = status_of(path)
    assert {task: cells["eagle-tiny", task].state for task in ("pope", "vizwiz", "chartqa")} == {
        "pope": "done", "vizwiz": "done", "chartqa": "rescore"}
    rerun = json.loads(eagle("sweep", "run", path, "--json").out)
    assert [(job["tasks"], job["rescore_only"], job["state"]) for job in rerun["jobs"]] == [(["chartqa"], True, "done")]
    log = next(run_dir.parent.glob(f".sweep/{run_dir.name}/chartqa-1-*.log")).read_text()
    assert "eagle-tiny not loaded: every sample of chartqa is stored" in log
    assert {cell.state for cell in status_of(path).values()} == {"done"}
    # A prompt changed for one task: that cell alone is stale.
    vizwiz = type(registry.get_task("vizwiz"))

    class VizWizBrief(vizwiz):  # type: ignore[misc, valid-type]
        def prompt(self, doc):  # type: ignore[no-untyped-def]
            return super().prompt(doc) + " Be brief."

    monkeypatch.setitem(registry._TASKS, "vizwiz", VizWizBrief)
    cells = status_of(path)
    assert {task: cells["eagle-tiny", task].state for task in ("pope", "vizwiz", "chartqa")} == {
        "pope": "done", "vizwiz": "stale", "chartqa": "done"}
    assert cells["eagle-tiny", "vizwiz"].reason.startswith("prompt or decoding changed: 2 of 2")


def test_a_job_with_several_processes_runs_under_torchrun(eagle, tmp_path: Path) -> None:
    replay = replay_folder(tmp_path / "answers", ["pope", "mme"], limit=4)
    path = write_sweep(tmp_path, [{"name": "replay", "predictions": str(replay)}], ["pope", "mme"],
                       {"kind": "local", "gpus_per_job": 0, "processes_per_job": 2}, limit=4)
    assert eagle("sweep", "run", path).code == 0
    assert {cell.state for cell in status_of(path).values()} == {"done"}
    (run_dir,) = [p for p in (tmp_path / "out").iterdir() if p.name.startswith("replay__")]
    assert json.loads((run_dir / "results.json").read_text())["hardware"]["processes"] == 2
