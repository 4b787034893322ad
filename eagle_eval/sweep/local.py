"""The local executor: a queue on this machine, at most as many jobs at once as it has GPU slots.

Each job gets its own GPUs through `CUDA_VISIBLE_DEVICES` (gpus_per_job of the executor's `gpus`,
or of CUDA_VISIBLE_DEVICES, or of the GPUs torch sees); with `gpus_per_job: 0` jobs run on the CPU,
`max_jobs` at once. submitit's LocalExecutor would start every job at once and hand each the same
GPUs 0..n-1, so this queue is our own: a job starts when a slot is free, in submission order.
`sweep run` waits for the queue; Ctrl-C or SIGTERM stops every job (each keeps its samples) and the
next `sweep run` resumes them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eagle_eval.sweep.executors import ExecutorError
from eagle_eval.sweep.records import JobFiles, JobState, read_state, this_host
from eagle_eval.sweep.spec import Executor

POLL_S = 0.5


@dataclass(frozen=True)
class Slot:
    gpus: tuple[str, ...]  # empty: CPU only

    @property
    def visible_devices(self) -> str:
        return ",".join(self.gpus)


def slots(executor: Executor, environ: dict[str, str] | None = None) -> list[Slot]:
    """The executor's slots: groups of gpus_per_job GPUs, or max_jobs CPU slots."""
    environ = dict(os.environ) if environ is None else environ
    if executor.gpus_per_job == 0:
        return [Slot(()) for _ in range(executor.max_jobs)]
    gpus = list(executor.gpus) if executor.gpus is not None else _visible_gpus(environ)
    if len(gpus) < executor.gpus_per_job:
        raise ExecutorError(f"executor: each job needs {executor.gpus_per_job} GPU(s) but this machine has "
                            f"{len(gpus)}; set executor.gpus_per_job: 0 to run on the CPU, or list executor.gpus")
    count = len(gpus) // executor.gpus_per_job
    return [Slot(tuple(gpus[i * executor.gpus_per_job:(i + 1) * executor.gpus_per_job])) for i in range(count)]


def _visible_gpus(environ: dict[str, str]) -> list[str]:
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [gpu.strip() for gpu in visible.split(",") if gpu.strip()]
    import torch

    return [str(index) for index in range(torch.cuda.device_count())]


def run_queue(jobs: Sequence[JobFiles], queue_slots: Sequence[Slot],
              on_change: Callable[[], None] | None = None) -> dict[str, int]:
    """Run every job, as many at once as there are slots; each job's exit status by its job file."""
    waiting = deque(jobs)
    free = list(queue_slots)
    running: dict[str, tuple[subprocess.Popen[bytes], Slot]] = {}
    statuses: dict[str, int] = {}
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        while waiting or running:
            while waiting and free:
                job, slot = waiting.popleft(), free.pop(0)
                running[str(job.spec)] = (_start(job, slot), slot)
            time.sleep(POLL_S)
            for key, (process, slot) in list(running.items()):
                if process.poll() is not None:
                    statuses[key] = process.returncode
                    free.append(slot)
                    del running[key]
                    if on_change is not None:
                        on_change()
    finally:
        for process, _ in running.values():
            _stop(process)
        signal.signal(signal.SIGTERM, previous)
    return statuses


def _start(job: JobFiles, slot: Slot) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["CUDA_VISIBLE_DEVICES"] = slot.visible_devices
    return subprocess.Popen([sys.executable, "-m", "eagle_eval.sweep.worker", str(job.spec)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # the worker stops its run and marks the job pending
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def is_alive(job: JobFiles) -> bool:
    """Whether the local process that holds the job is still there (pending: its submitter)."""
    state = read_state(job.state)
    if state is None or state.state not in ("pending", "running"):
        return False
    pid = state.pid if state.state == "running" else (state.extra.get("submitter") or {}).get("pid")
    host = state.host if state.state == "running" else (state.extra.get("submitter") or {}).get("host")
    return pid is not None and host == this_host() and _pid_alive(int(pid))


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


class LocalExecutor:
    """The queue on this machine: `submit` runs it to its end, so `wait` has nothing left to wait for."""

    def __init__(self, config: Executor, output_root: Path) -> None:
        self.config, self.output_root = config, output_root

    def submit(self, jobs: Sequence[JobFiles], on_change: Callable[[], None] | None = None) -> list[str]:
        run_queue(jobs, slots(self.config), on_change)
        return []

    def wait(self, jobs: Sequence[JobFiles], timeout_s: float | None = None,
             on_change: Callable[[], None] | None = None) -> None:
        return None

    def live(self, jobs: Sequence[tuple[JobFiles, JobState]]) -> dict[Path, str]:
        return {files.spec: state.state for files, state in jobs if is_alive(files)}
