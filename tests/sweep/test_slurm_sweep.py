"""Sweeps on a real single-node Slurm (tests/slurm_cluster.py) through submitit: a sweep submitted as one
job array ends done with its logs beside the runs; a job cancelled mid-run with scancel, and a job
preempted with submitit's requeue signal, end, after the rerun or the requeue, with predictions and
scores identical to an uninterrupted run; `sweep status` says running, then what was left, then done."""

from __future__ import annotations

from pathlib import Path

import pytest
import submitit

from eagle_eval.sweep.launch import launch
from eagle_eval.sweep.records import SWEEP_DIR, read_state
from eagle_eval.sweep.spec import load_sweep
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
TASKS = ["textvqa", "ocrbench"]
# One sample at a time and long answers: the job lasts long enough (about 20 s) to be stopped mid-run.
GEN = {"max_new_tokens": 512}
SLOW = {"gen_kwargs": GEN, "batch_size": 1}


def _executor(cluster) -> dict:
    return {"kind": "slurm", "gpus_per_job": 0, "partition": cluster.partition, "time_limit": "00:10:00"}


def _states(output_root: Path) -> list:
    return [read_state(path) for path in sorted((output_root / SWEEP_DIR).glob("*/*.state.json"))]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """eagle-tiny on the two tasks, run straight through by `eagle-eval run` in this process."""
    from eagle_eval.cli import main

    out = tmp_path_factory.mktemp("uninterrupted")
    assert main(["run", "--model", "eagle-tiny", "--tasks", ",".join(TASKS), "--data-root", str(DATA),
                 "--gen-kwargs", "max_new_tokens=512", "--batch-size", "1", "--output-dir", str(out), "--no-progress"]) == 0
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir


def _same_as(run_dir: Path, baseline: Path) -> None:
    for task in TASKS:
        assert predictions(run_dir, task) == predictions(baseline, task)
    assert headlines(run_dir) == headlines(baseline)


def test_a_sweep_is_one_job_array_that_ends_done_with_its_logs_beside_the_runs(slurm_cluster, tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_tiny_checkpoint(monkeypatch)
    replay = replay_folder(tmp_path / "answers", ["pope", "vizwiz"], limit=3)
    path = write_sweep(tmp_path, ["eagle-tiny", {"name": "replay", "predictions": str(replay)}], ["pope", "vizwiz"],
                       _executor(slurm_cluster), limit=3)
    done = launch(load_sweep(path), wait=True, timeout_s=240)
    assert len(done.scheduler_ids) == 2 and len({job_id.split("_")[0] for job_id in done.scheduler_ids}) == 1
    assert set(done.statuses.values()) == {"done"}
    assert {cell.state for cell in status_of(path).values()} == {"done"}
    for files in done.files:
        assert files.log.is_file() and "results: " in files.log.read_text()  # the run's own output
        assert files.folder.parent.parent == tmp_path / "out"  # <output_root>/.sweep/<run_id>/
    array = done.scheduler_ids[0].split("_")[0]
    assert set(slurm_cluster.wait_for_sacct(array, "COMPLETED", count=2).values()) == {"COMPLETED"}


def test_a_job_cancelled_mid_run_is_resumed_by_the_next_sweep_run(slurm_cluster, tmp_path: Path, uninterrupted: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_tiny_checkpoint(monkeypatch)
    path = write_sweep(tmp_path, ["eagle-tiny"], TASKS, _executor(slurm_cluster), **SLOW)
    sweep = load_sweep(path)
    first = launch(sweep)
    (job_id,) = first.scheduler_ids
    run_dir = tmp_path / "out" / uninterrupted.name
    samples = run_dir / "samples" / "textvqa.jsonl"
    wait_until("two textvqa samples stored", lambda: samples.is_file() and len(samples.read_text().splitlines()) >= 2)
    now = status_of(path)
    states = (now["eagle-tiny", "textvqa"].state, now["eagle-tiny", "ocrbench"].state)
    assert states in (("running", "pending"), ("done", "running")), states  # ocrbench waits behind textvqa
    running = now["eagle-tiny", "textvqa" if states[0] == "running" else "ocrbench"]
    assert f"Slurm {job_id}" in running.reason and running.samples_per_second, running
    slurm_cluster.command("scancel", job_id)
    wait_until("the job gone from the queue", lambda: job_id not in slurm_cluster.command("squeue", "-h", "-o", "%i"))
    left = status_of(path)
    assert left["eagle-tiny", "textvqa"].state in ("partial", "done")
    assert left["eagle-tiny", "ocrbench"].state in ("new", "partial")
    assert "running" not in {cell.state for cell in left.values()}
    again = launch(sweep, wait=True, timeout_s=240)
    assert again.jobs and set(again.statuses.values()) == {"done"}
    assert {cell.state for cell in status_of(path).values()} == {"done"}
    _same_as(run_dir, uninterrupted)


def test_a_preempted_job_is_requeued_and_resumes_where_it_stopped(slurm_cluster, tmp_path: Path, uninterrupted: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_tiny_checkpoint(monkeypatch)
    path = write_sweep(tmp_path, ["eagle-tiny"], TASKS, _executor(slurm_cluster), **SLOW)
    first = launch(load_sweep(path))
    (job_id,) = first.scheduler_ids
    run_dir = tmp_path / "out" / uninterrupted.name
    samples = run_dir / "samples" / "textvqa.jsonl"
    wait_until("two textvqa samples stored", lambda: samples.is_file() and len(samples.read_text().splitlines()) >= 2)
    submitit.SlurmJob(folder=tmp_path / "out" / SWEEP_DIR / "submitit" / "%j", job_id=job_id)._interrupt()
    (state_file,) = (tmp_path / "out" / SWEEP_DIR).glob("*/*.state.json")
    wait_until("the requeued job done", lambda: (s := read_state(state_file)) is not None and s.state == "done"
               and s.attempts == 2, timeout=240)
    state = read_state(state_file)
    assert state is not None and state.scheduler_id == job_id  # the same job, requeued
    assert {cell.state for cell in status_of(path).values()} == {"done"}
    _same_as(run_dir, uninterrupted)
    stored = predictions(run_dir, "textvqa")
    assert len(stored) == 9  # no doc twice, none lost
