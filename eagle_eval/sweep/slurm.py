"""The Slurm executor, through submitit: one job array per submission, requeued on preemption and timeout.

Every job of a submission shares the executor's resources, so one `sbatch --array` holds them all
(submitit's batch). Each array task runs the job's worker (eagle_eval.sweep.worker) in-process under
submitit, whose handler of Slurm's warning signal (USR2, `--signal` before the time limit, or sent
on preemption) requeues the task; the requeued task starts the same job again, and the run resumes
from its samples files. A `scancel` ends the job; the next `sweep run` submits what is left.

submitit keeps its own files (the pickled call, Slurm's stdout and stderr) under
<output_root>/.sweep/submitit/; the run's own log is the job's log beside its run
(eagle_eval.sweep.records).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import submitit

from eagle_eval.sweep.executors import ExecutorError
from eagle_eval.sweep.records import SWEEP_DIR, JobFiles, JobState, read_state, write_state
from eagle_eval.sweep.spec import Executor
from eagle_eval.sweep.worker import run_job


class SweepJobCall(submitit.helpers.Checkpointable):
    """What an array task runs: the job of one job file. Checkpointing it is requeueing it as it is:
    the job's progress lives in the run's samples files, not in this object."""

    def __init__(self, spec_path: str) -> None:
        self.spec_path = spec_path

    def __call__(self) -> int:
        return run_job(Path(self.spec_path))


def submit(jobs: Sequence[JobFiles], executor: Executor, output_root: Path) -> list[str]:
    """Submit the jobs as one array; each job's state records its Slurm id. Returns the ids."""
    if shutil.which("sbatch") is None:
        raise ExecutorError("executor.kind slurm: no sbatch on PATH; run on a Slurm login node, or use "
                            "executor.kind: local")
    slurm = submitit.SlurmExecutor(folder=output_root / SWEEP_DIR / "submitit" / "%j")
    slurm.update_parameters(**slurm_parameters(executor))
    try:  # submitit prints a refusal's stderr too; the error below says it once
        with contextlib.redirect_stderr(io.StringIO()), slurm.batch():
            submitted = [slurm.submit(SweepJobCall(str(job.spec.resolve()))) for job in jobs]
    except (submitit.core.utils.FailedJobError, subprocess.CalledProcessError) as err:
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        said = next((line for line in reversed(lines) if line.startswith("sbatch:")), lines[-1] if lines else "")
        raise ExecutorError(f"executor.kind slurm: sbatch refused the jobs ({said}); check executor.partition, "
                            "account, qos, time_limit and memory, and that this machine reaches the Slurm "
                            "controller (sinfo)") from None
    ids = [job.job_id for job in submitted]
    for job, scheduler_id in zip(jobs, ids, strict=True):
        state = read_state(job.state)
        if state is not None:
            state.scheduler_id = scheduler_id
            write_state(job.state, state)
    return ids


def slurm_parameters(executor: Executor) -> dict[str, Any]:
    """submitit's SlurmExecutor parameters for the executor's resources."""
    limit = executor.time_limit_seconds
    parameters: dict[str, Any] = {
        "job_name": "eagle-eval-sweep",
        "time": int(limit // 60) if limit else 0,  # 0: no limit of ours, the partition's applies
        "ntasks_per_node": 1,  # one worker per job; torchrun inside starts the processes
        "mem": executor.memory, "partition": executor.partition, "account": executor.account,
        "qos": executor.qos, "gpus_per_node": executor.gpus_per_job or None,
        "additional_parameters": extra_parameters(executor.extra_flags) or None,
    }
    return {key: value for key, value in parameters.items() if value is not None}


def extra_parameters(flags: Sequence[str]) -> dict[str, Any]:
    """`["--exclusive", "--constraint=a100"]` as submitit's additional_parameters."""
    parameters: dict[str, Any] = {}
    for flag in flags:
        name, has_value, value = flag.lstrip("-").partition("=")
        parameters[name.replace("-", "_")] = value if has_value else True
    return parameters


def scheduler_states(ids: Sequence[str]) -> dict[str, str]:
    """Slurm's state of each id still in the queue (PENDING, RUNNING, ...); ids gone are absent."""
    if not ids or shutil.which("squeue") is None:
        return {}
    try:  # the whole queue, not -j: squeue refuses a list that holds one id it no longer knows
        out = subprocess.run(["squeue", "-h", "-r", "-o", "%i %T"], capture_output=True,
                             text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    wanted, states = set(ids), {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in wanted:
            states[parts[0]] = parts[1]
    return states


class SlurmExecutor:
    """Jobs as one Slurm array through submitit; the queue is Slurm's, read with squeue."""

    def __init__(self, config: Executor, output_root: Path) -> None:
        self.config, self.output_root = config, output_root

    def submit(self, jobs: Sequence[JobFiles], on_change: Callable[[], None] | None = None) -> list[str]:
        return submit(jobs, self.config, self.output_root)

    def wait(self, jobs: Sequence[JobFiles], timeout_s: float | None = None,
             on_change: Callable[[], None] | None = None) -> None:
        wait_for_queue(jobs, timeout_s, on_change)

    def live(self, jobs: Sequence[tuple[JobFiles, JobState]]) -> dict[Path, str]:
        queue = scheduler_states([state.scheduler_id for _, state in jobs if state.scheduler_id])
        live = {}
        for files, state in jobs:
            slurm = queue.get(state.scheduler_id or "")
            if slurm is not None:
                live[files.spec] = "running" if slurm in ("RUNNING", "COMPLETING") and state.state == "running" \
                    else "pending"
        return live


WAIT_POLL_S = 2.0


def wait_for_queue(jobs: Sequence[JobFiles], timeout_s: float | None = None,
                   on_change: Callable[[], None] | None = None) -> None:
    """Poll until no job is in Slurm's queue any more (done, failed, cancelled); requeues are waited for."""
    import time

    deadline = time.monotonic() + timeout_s if timeout_s else None
    ids = [state.scheduler_id for files in jobs if (state := read_state(files.state)) is not None and state.scheduler_id]
    seen: dict[str, str] = {}
    while True:
        queue = scheduler_states(ids)
        if queue != seen and on_change is not None:
            on_change()
        seen = queue
        if not queue:
            return
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"Slurm jobs {', '.join(sorted(queue))} still queued after {timeout_s:.0f} s")
        time.sleep(WAIT_POLL_S)
