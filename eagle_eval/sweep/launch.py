"""`sweep run`: plan, pack the cells that need work into jobs, submit them, and (local, or --wait) wait.

Running the same sweep file again submits only what is not done: cells a live job holds are left
to it, done cells are skipped, and everything else (new, partial, failed, stale, rescore) is packed
again (eagle_eval.sweep.jobs). The local executor runs its queue in this process; Slurm jobs run on
their own, and `--wait` polls them until each has ended.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from eagle_eval.sweep.jobs import Job, gpu_hours, pack_jobs
from eagle_eval.sweep.plan import Cell, TaskWindows, plan_sweep
from eagle_eval.sweep.records import JobFiles, read_state
from eagle_eval.sweep.spec import Sweep
from eagle_eval.sweep.status import busy_cells
from eagle_eval.sweep.submission import write_jobs

WAIT_POLL_S = 2.0


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
    from eagle_eval.sweep.local import Slot, run_queue, slots

    planned.files = write_jobs(sweep, planned.jobs)
    scoring = [files for job, files in zip(planned.jobs, planned.files, strict=True) if job.rescore_only]
    generating = [files for job, files in zip(planned.jobs, planned.files, strict=True) if not job.rescore_only]
    if scoring:  # no model and no GPU: here, first
        run_queue(scoring, [Slot(())], on_change)
    if generating and sweep.executor.kind == "local":
        run_queue(generating, slots(sweep.executor), on_change)
    elif generating:
        from eagle_eval.sweep.slurm import submit

        planned.scheduler_ids = submit(generating, sweep.executor, sweep.output_root)
        if wait:
            wait_for_slurm(generating, timeout_s, on_change)
    planned.statuses = {str(files.spec): _state_of(files) for files in planned.files}
    return planned


def _state_of(files: JobFiles) -> str:
    state = read_state(files.state)
    return state.state if state is not None else "unknown"


def wait_for_slurm(jobs: list[JobFiles], timeout_s: float | None = None,
                   on_change: Callable[[], None] | None = None) -> None:
    """Poll until no job is in Slurm's queue any more (done, failed, cancelled); requeues are waited for."""
    from eagle_eval.sweep.slurm import scheduler_states

    deadline = time.monotonic() + timeout_s if timeout_s else None
    ids = {}
    for files in jobs:
        state = read_state(files.state)
        if state is not None and state.scheduler_id:
            ids[state.scheduler_id] = files
    seen: dict[str, str] = {}
    while True:
        queue = scheduler_states(list(ids))
        if queue != seen and on_change is not None:
            on_change()
        seen = queue
        if not queue:
            return
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"Slurm jobs {', '.join(sorted(queue))} still queued after {timeout_s:.0f} s")
        time.sleep(WAIT_POLL_S)
