"""Jobs: each one model loaded once and a list of its cells, packed to the executor's time budget.

A cell needs work unless it is done (eagle_eval.sweep.plan). A job's predicted seconds are the
model's load time plus its samples to generate × the model's seconds per sample; both come from
what earlier launches of that model measured (results.json's generation timings, the job records'
wall times), and from the executor's `seconds_per_sample` / `load_seconds` until one has. Cells are
packed in the sweep file's task order while the job fits in 80% of `time_limit` (the rest is slack
for a slow node); a cell larger than that gets a job of its own and, if it outlives its time limit,
continues where it stopped in the next attempt: Slurm jobs are requeued on timeout and preemption,
and a run resumes from its samples files (docs/sweeps.md).

Cells that only need scoring (`rescore`) make a job of their own per model, which runs on this
machine whatever the executor: the run scores stored samples without loading the model
(eagle_eval.run.stored_model), so it needs neither a GPU nor a place in the scheduler's queue.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eagle_eval.results.document import RunResults, load_results
from eagle_eval.sweep.plan import Cell, TaskWindows
from eagle_eval.sweep.records import job_states
from eagle_eval.sweep.spec import Executor, Sweep, SweepModel

NEEDS_WORK = ("new", "partial", "failed", "stale", "rescore", "unknown")
BUDGET_SHARE = 0.8  # of time_limit; the rest is slack


@dataclass(frozen=True)
class Speed:
    """A model's measured (or assumed) seconds per sample and load seconds, and where they come from."""

    seconds_per_sample: float
    load_seconds: float
    measured: bool


@dataclass(frozen=True)
class Job:
    model: SweepModel
    model_index: int  # the model's place in the sweep file
    run_id: str
    tasks: tuple[str, ...]
    samples: int  # samples to generate (an estimate where a task's size is unknown)
    seconds: float  # predicted wall seconds, load included
    rescore_only: bool = False  # every cell only needs scoring: no model load, no GPU, run on this machine

    @property
    def job_id(self) -> str:
        digest = hashlib.sha256(",".join(self.tasks).encode()).hexdigest()[:8]
        return f"{self.tasks[0]}-{len(self.tasks)}-{digest}"

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model.display, "model_index": self.model_index, "run_id": self.run_id,
                "tasks": list(self.tasks), "samples": self.samples, "predicted_seconds": round(self.seconds, 1),
                "rescore_only": self.rescore_only}


def cell_samples(cell: Cell, windows: TaskWindows) -> int:
    """Samples a cell still has to generate: none to rescore, the missing ones of a partial cell."""
    if cell.state == "rescore":
        return 0
    total = cell.total if cell.total is not None else windows.size(cell.task)
    if total is None:
        return 0
    return max(total - (cell.valid if cell.state in ("partial", "failed") else 0), 0)


def model_speed(sweep: Sweep, run_id: str) -> Speed:
    """Seconds per sample from the run's recorded generation, load seconds from its finished jobs."""
    executor = sweep.executor
    results_path = sweep.output_root / run_id / "results.json"
    per_sample = _measured_per_sample(load_results(results_path)) if results_path.is_file() else None
    load = _measured_load(sweep.output_root, run_id, per_sample)
    return Speed(per_sample if per_sample is not None else executor.seconds_per_sample,
                 load if load is not None else executor.load_seconds, per_sample is not None)


def _measured_per_sample(results: RunResults) -> float | None:
    seconds = samples = 0.0
    for entry in results.results.values():
        timings = entry.timings
        if timings.generation_seconds and timings.samples_generated:
            seconds += timings.generation_seconds
            samples += timings.samples_generated
    return seconds / samples if samples else None


def _measured_load(output_root: Path, run_id: str, per_sample: float | None) -> float | None:
    """A finished job's wall time less its samples' generation: the load (and scoring) it paid."""
    if per_sample is None:
        return None
    loads = [state.wall_seconds - state.samples_generated * per_sample
             for _, _, state in job_states(output_root, run_id)
             if state is not None and state.state == "done" and state.wall_seconds > 0]
    return max(min(loads), 0.0) if loads else None


def pack_jobs(sweep: Sweep, cells: list[Cell], windows: TaskWindows,
              busy: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()) -> list[Job]:
    """The jobs that bring every cell needing work to done; `busy` (run id, task) cells are left out."""
    jobs: list[Job] = []
    by_run: dict[str, list[Cell]] = {}
    for cell in cells:
        if cell.state in NEEDS_WORK and (cell.run_id, cell.task) not in busy:
            by_run.setdefault(cell.run_id, []).append(cell)
    run_ids: dict[str, int] = {}
    for index, model in enumerate(sweep.models):
        run_ids.setdefault(_run_id_of(sweep, model), index)
    for run_id, todo in by_run.items():
        index = run_ids[run_id]
        speed = model_speed(sweep, run_id)
        model = sweep.models[index]
        rescore = tuple(cell.task for cell in todo if cell.state == "rescore")
        if rescore:  # every sample stored: the run scores them without loading the model
            jobs.append(Job(model, index, run_id, rescore, 0, 0.0, rescore_only=True))
        work = [cell for cell in todo if cell.state != "rescore"]
        jobs.extend(_pack_model(model, index, run_id, work, windows, speed, sweep.executor))
    return jobs


def _run_id_of(sweep: Sweep, model: SweepModel) -> str:
    from eagle_eval.run.fingerprints import compute_run_id
    from eagle_eval.sweep.plan import run_config

    return compute_run_id(run_config(sweep, model))


def _pack_model(model: SweepModel, index: int, run_id: str, cells: list[Cell], windows: TaskWindows,
                speed: Speed, executor: Executor) -> list[Job]:
    limit = executor.time_limit_seconds
    budget = limit * BUDGET_SHARE if limit else None
    jobs: list[Job] = []
    tasks: list[str] = []
    samples = 0
    for cell in cells:
        more = cell_samples(cell, windows)
        fits = budget is None or speed.load_seconds + (samples + more) * speed.seconds_per_sample <= budget
        if tasks and not fits:
            jobs.append(Job(model, index, run_id, tuple(tasks), samples,
                            speed.load_seconds + samples * speed.seconds_per_sample))
            tasks, samples = [], 0
        tasks.append(cell.task)
        samples += more
    if tasks:
        jobs.append(Job(model, index, run_id, tuple(tasks), samples,
                        speed.load_seconds + samples * speed.seconds_per_sample))
    return jobs


def gpu_hours(jobs: list[Job], executor: Executor) -> float:
    """Predicted GPU-hours of the jobs: their seconds × the GPUs each holds."""
    return sum(job.seconds for job in jobs if not job.rescore_only) * max(executor.gpus_per_job, 0) / 3600.0
