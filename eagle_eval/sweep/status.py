"""`sweep status`: the plan's cells with the jobs that hold them: running, pending, or what they left.

A cell held by a live job (its process on this machine, or its Slurm id still in the queue) is
`running` while its job works on it, with samples done of total and the job's samples/s, or
`pending` until then (queued, or waiting behind the job's earlier tasks). A cell whose last job
failed, and that is not done, is `failed` with the job's error line. Every other cell is as the plan
says (eagle_eval.sweep.plan); a job stopped from outside (cancelled, preempted) adds that to its
cells' reasons, and the next `sweep run` resumes them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eagle_eval.sweep.plan import Cell, TaskWindows, plan_sweep
from eagle_eval.sweep.records import JobFiles, JobState, job_states, now, stored_samples
from eagle_eval.sweep.spec import Sweep

STATUS_STATES = ("running", "pending", "done", "partial", "failed", "stale", "rescore", "new", "unknown")


@dataclass(frozen=True)
class LiveJob:
    files: JobFiles
    spec: dict[str, Any]
    state: JobState
    live: str | None  # running or pending while its process or Slurm job is there, else None


@dataclass(frozen=True)
class StatusCell:
    cell: Cell
    state: str
    reason: str
    valid: int
    total: int | None
    job: str | None = None
    samples_per_second: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.cell.to_json(), "state": self.state, "reason": self.reason, "valid": self.valid,
                "total": self.total, "job": self.job, "samples_per_second": self.samples_per_second}


def sweep_status(sweep: Sweep, windows: TaskWindows | None = None) -> list[StatusCell]:
    windows = windows or TaskWindows(sweep)
    cells = plan_sweep(sweep, windows)
    latest = latest_jobs(sweep, {cell.run_id for cell in cells})
    return [_status(cell, latest.get((cell.run_id, cell.task)), windows) for cell in cells]


def latest_jobs(sweep: Sweep, run_ids: set[str]) -> dict[tuple[str, str], LiveJob]:
    """The newest job of each (run id, task), with whether it is still live."""
    found: dict[tuple[str, str], tuple[JobFiles, dict[str, Any], JobState]] = {}
    for run_id in sorted(run_ids):
        for files, spec, state in job_states(sweep.output_root, run_id):
            if state is not None:
                for task in spec.get("tasks", []):
                    found[(run_id, task)] = (files, spec, state)  # job_states is oldest first
    liveness = _liveness(sweep, list({files.spec: (files, spec, state)
                                      for files, spec, state in found.values()}.values()))
    return {key: LiveJob(files, spec, state, liveness.get(files.spec)) for key, (files, spec, state) in found.items()}


def busy_cells(sweep: Sweep, run_ids: set[str]) -> set[tuple[str, str]]:
    """Cells a live job holds: a new submission leaves them to it."""
    return {key for key, job in latest_jobs(sweep, run_ids).items() if job.live is not None}


def _liveness(sweep: Sweep, jobs: list[tuple[JobFiles, dict[str, Any], JobState]]) -> dict[Any, str]:
    """Job file -> running or pending, for the open jobs their executor still has."""
    from eagle_eval.sweep.executors import executor_for

    by_kind: dict[str, list[tuple[JobFiles, JobState]]] = {}
    for files, _, state in jobs:
        if state.state in ("pending", "running"):
            by_kind.setdefault(state.executor, []).append((files, state))
    live: dict[Any, str] = {}
    for kind, open_jobs in by_kind.items():
        live.update(executor_for(kind, sweep.executor, sweep.output_root).live(open_jobs))
    return live


def _status(cell: Cell, job: LiveJob | None, windows: TaskWindows) -> StatusCell:
    plain = StatusCell(cell, cell.state, cell.reason, cell.valid, cell.total)
    if job is None or cell.state == "done":
        return plain
    if job.live is not None:
        return _live(cell, job, windows)
    if job.state.state == "failed":
        return replace(plain, state="failed", reason=f"job {job.files.job_id} failed: {job.state.error}",
                       job=job.files.job_id)
    if job.state.state == "pending" and job.state.error:  # stopped from outside, not running now
        return replace(plain, reason=f"{cell.reason}; job {job.files.job_id} {job.state.error}", job=job.files.job_id)
    return plain


def _live(cell: Cell, job: LiveJob, windows: TaskWindows) -> StatusCell:
    run_dir = Path(job.spec["run_dir"])
    total = windows.size(cell.task)
    done = stored_samples(run_dir, [cell.task])
    tasks = list(job.spec.get("tasks", []))
    earlier = tasks[:tasks.index(cell.task)] if cell.task in tasks else []
    working = job.live == "running" and all(_complete(run_dir, task, windows) for task in earlier)
    rate = None
    if working and job.state.started:
        generated = stored_samples(run_dir, tasks) - int(job.state.extra.get("stored_at_start", 0))
        rate = round(generated / max(now() - job.state.started, 1e-9), 3)
    state = "running" if working else "pending"
    where = f"job {job.files.job_id}" + (f" (Slurm {job.state.scheduler_id})" if job.state.scheduler_id else "")
    reason = f"{done}/{total if total is not None else '?'} samples stored; {where}"
    return StatusCell(cell, state, reason, done, total, job.files.job_id, rate)


def _complete(run_dir: Path, task: str, windows: TaskWindows) -> bool:
    total = windows.size(task)
    return total is not None and stored_samples(run_dir, [task]) >= total
