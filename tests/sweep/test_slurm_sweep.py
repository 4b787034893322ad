"""Sweeps on a real single-node Slurm (tests/slurm_cluster.py) through submitit: three models on four
tasks are one job array that ends done with its logs beside the runs; a job preempted with submitit's
requeue signal resumes as the same job, requeued by Slurm itself resumes again, and cancelled mid-run
with scancel is finished by the next `sweep run`, with predictions and scores identical to an uninterrupted run; `sweep status` says
running and pending, then what was left, then done."""

from __future__ import annotations

from collections.abc import Callable
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
TASKS = ["textvqa", "ocrbench", "chartqa"]
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


def test_three_models_on_four_tasks_are_one_job_array_that_ends_done_with_logs_beside_the_runs(
        slurm_cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eagle_eval.model_adapters.hf.tiny import write_tiny_vlm

    use_session_tiny_checkpoint(monkeypatch)
    tasks = ["pope", "vizwiz", "chartqa", "mme"]
    llava = write_tiny_vlm(tmp_path / "tiny-llava", "llava")
    replay = replay_folder(tmp_path / "answers", tasks, limit=2)
    path = write_sweep(tmp_path, ["eagle-tiny", {"name": f"hf:{llava}", "label": "tiny-llava"},
                                  {"name": "replay", "predictions": str(replay)}], tasks, _executor(slurm_cluster),
                       limit=2)
    done = launch(load_sweep(path), wait=True, timeout_s=300)
    assert len(done.scheduler_ids) == 3 and len({job_id.split("_")[0] for job_id in done.scheduler_ids}) == 1
    assert set(done.statuses.values()) == {"done"}
    status = status_of(path)
    assert len(status) == 12 and {cell.state for cell in status.values()} == {"done"}
    for files in done.files:
        assert files.log.is_file() and "results: " in files.log.read_text()  # the run's own output
        assert files.folder.parent.parent == tmp_path / "out"  # <output_root>/.sweep/<run_id>/
    array = done.scheduler_ids[0].split("_")[0]
    assert set(slurm_cluster.wait_for_sacct(array, "COMPLETED", count=3).values()) == {"COMPLETED"}
    assert launch(load_sweep(path)).jobs == []  # nothing left to submit
    board = tmp_path / "out" / "board"  # built by the last job to end, with nobody waiting for it
    assert (board / "index.html").is_file() and "tiny-llava" in (board / "board.md").read_text()
    assert sum("--- last job of the sweep: board" in files.log.read_text() for files in done.files) >= 1


def _explain(cluster, output_root: Path) -> Callable[[], str]:
    def explain() -> str:
        parts = [f"squeue:\n{cluster.command('squeue', '-h', '-o', '%i %T %r', check=False)}"]
        for state in sorted((output_root / SWEEP_DIR).glob("*/*.state.json")):
            parts.append(f"{state.name}: {state.read_text()}")
        for log in sorted((output_root / SWEEP_DIR).glob("*/*.log")):
            parts.append(f"{log.name}:\n" + "\n".join(log.read_text().splitlines()[-15:]))
        return "\n".join(parts) + "\n" + cluster.log_tails()

    return explain


def _stored(samples: Path) -> int:
    return len(samples.read_text().splitlines()) if samples.is_file() else 0


def test_a_preempted_requeued_then_cancelled_job_ends_with_the_results_of_an_uninterrupted_run(
        slurm_cluster, tmp_path: Path, uninterrupted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_session_tiny_checkpoint(monkeypatch)
    path = write_sweep(tmp_path, ["eagle-tiny"], TASKS, _executor(slurm_cluster), **SLOW)
    sweep, out = load_sweep(path), tmp_path / "out"
    explain = _explain(slurm_cluster, out)
    (job_id,) = launch(sweep).scheduler_ids
    run_dir = out / uninterrupted.name
    samples = run_dir / "samples" / "textvqa.jsonl"
    wait_until("two textvqa samples stored", lambda: _stored(samples) >= 2, explain=explain)
    now = status_of(path)
    states = (now["eagle-tiny", "textvqa"].state, now["eagle-tiny", "ocrbench"].state)
    assert states in (("running", "pending"), ("done", "running")), states  # ocrbench waits behind textvqa
    running = now["eagle-tiny", "textvqa" if states[0] == "running" else "ocrbench"]
    assert f"Slurm {job_id}" in running.reason and running.samples_per_second, running

    # Preemption, as Slurm does it (SIGTERM, then submitit's USR2): the job is requeued and resumes.
    submitit.SlurmJob(folder=out / SWEEP_DIR / "submitit" / "%j", job_id=job_id)._interrupt()
    (state_file,) = (out / SWEEP_DIR).glob("*/*.state.json")
    wait_until("the requeued job running again", lambda: (s := read_state(state_file)) is not None
               and s.attempts == 2 and s.state == "running", timeout=180, explain=explain)
    state = read_state(state_file)
    assert state is not None and state.scheduler_id == job_id  # the same job, requeued

    def stored_now() -> int:
        return sum(_stored(run_dir / "samples" / f"{task}.jsonl") for task in TASKS)

    # Slurm's own requeue (PreemptMode=REQUEUE, or scontrol requeue): the job is killed without
    # submitit's checkpoint and starts again from its original submission; the run resumes all the same.
    before = stored_now()
    wait_until("two more samples stored", lambda: stored_now() >= before + 2, explain=explain)
    slurm_cluster.command("scontrol", "requeue", job_id)
    wait_until("the job started a third time", lambda: (s := read_state(state_file)) is not None
               and s.attempts == 3 and s.state == "running", timeout=180, explain=explain)

    # Then a scancel mid-run: the job ends, its samples are kept, and the next sweep run finishes it.
    before = stored_now()
    wait_until("one more sample stored", lambda: stored_now() >= before + 1, explain=explain)
    slurm_cluster.command("scancel", job_id)
    wait_until("the job gone from the queue", lambda: job_id not in slurm_cluster.command("squeue", "-h", "-o", "%i"),
               explain=explain)
    left = status_of(path)
    assert "running" not in {cell.state for cell in left.values()}
    assert {cell.state for cell in left.values()} != {"done"}, "the cancel came after the job had finished"
    again = launch(sweep, wait=True, timeout_s=240)
    assert again.jobs and set(again.statuses.values()) == {"done"}, explain()
    assert {cell.state for cell in status_of(path).values()} == {"done"}
    _same_as(run_dir, uninterrupted)
    assert [len(predictions(run_dir, task)) for task in TASKS] == [9, 10, 8]  # every doc once
