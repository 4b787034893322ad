"""`sweep run`: plan, pack the cells that need work into jobs, submit them, and (local, or --wait) wait.

Running the same sweep file again submits only what is not done: cells a live job holds are left
to it, done cells are skipped, and everything else (new, partial, failed, stale, rescore) is packed
again (eagle_eval.sweep.jobs). Jobs go to the sweep's executor (eagle_eval.sweep.executors): the
local one runs its queue in this process; Slurm jobs run on their own, and `--wait` polls them
until each has ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from eagle_eval.sweep.executors import ExecutorError, executor_for
from eagle_eval.sweep.jobs import Job, gpu_hours, pack_jobs
from eagle_eval.sweep.plan import Cell, TaskWindows, plan_sweep
from eagle_eval.sweep.records import JobFiles, read_state
from eagle_eval.sweep.spec import Sweep
from eagle_eval.sweep.status import busy_cells
from eagle_eval.sweep.submission import write_jobs


@dataclass
class Launch:
    cells: list[Cell]
    jobs: list[Job]
    files: list[JobFiles] = field(default_factory=list)
    scheduler_ids: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)  # job file -> done, failed or pending
    predicted_gpu_hours: float = 0.0


def plan_jobs(sweep: Sweep) -> Launch:
    """The cells and the jobs a `sweep run` would submit now, nothing written."""
    windows = TaskWindows(sweep)
    cells = plan_sweep(sweep, windows)
    busy = busy_cells(sweep, {cell.run_id for cell in cells})
    jobs = pack_jobs(sweep, cells, windows, busy)
    return Launch(cells, jobs, predicted_gpu_hours=gpu_hours(jobs, sweep.executor))


def launch(sweep: Sweep, wait: bool = False, on_change: Callable[[], None] | None = None,
           timeout_s: float | None = None) -> Launch:
    """Submit the jobs a `sweep run` needs; the local queue always runs to its end, Slurm jobs with `wait`."""
    planned = plan_jobs(sweep)
    if not planned.jobs:
        return planned
    planned.files = write_jobs(sweep, planned.jobs)
    scoring = [files for job, files in zip(planned.jobs, planned.files, strict=True) if job.rescore_only]
    generating = [files for job, files in zip(planned.jobs, planned.files, strict=True) if not job.rescore_only]
    if scoring:  # no model and no GPU: here, first
        executor_for("local", replace(sweep.executor, kind="local", gpus_per_job=0, max_jobs=1),
                     sweep.output_root).submit(scoring, on_change)
    if generating:
        executor = executor_for(sweep.executor.kind, sweep.executor, sweep.output_root)
        try:
            planned.scheduler_ids = executor.submit(generating, on_change)
        except ExecutorError:
            _forget(generating)  # never submitted: no job files left to look pending
            raise
        if wait:
            executor.wait(generating, timeout_s, on_change)
    planned.statuses = {str(files.spec): _state_of(files) for files in planned.files}
    return planned


def _forget(jobs: list[JobFiles]) -> None:
    for files in jobs:
        for path in (files.spec, files.state, files.run_config, files.log):
            path.unlink(missing_ok=True)


def _state_of(files: JobFiles) -> str:
    state = read_state(files.state)
    return state.state if state is not None else "unknown"
