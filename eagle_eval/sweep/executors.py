"""The one small interface every executor implements, and the executors by kind.

An executor is given job files (eagle_eval.sweep.submission) and runs each with the worker
(eagle_eval.sweep.worker), wherever its jobs run; everything a job needs is in its files, so the
planner, the packing and the board never see an executor. Adding one (Ray, a cloud batch service)
is a class with these three methods and a line in `EXECUTORS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from eagle_eval.sweep.records import JobFiles, JobState
from eagle_eval.sweep.spec import Executor, ExecutorError

__all__ = ["EXECUTORS", "ExecutorError", "JobExecutor", "executor_for"]

# kind -> "module:class", imported when used (submitit only for slurm)
EXECUTORS = {"local": "eagle_eval.sweep.local:LocalExecutor", "slurm": "eagle_eval.sweep.slurm:SlurmExecutor"}


class JobExecutor(Protocol):
    def submit(self, jobs: Sequence[JobFiles], on_change: Callable[[], None] | None = None) -> list[str]:
        """Start (or queue) the jobs; the scheduler's id of each, where it has one."""

    def wait(self, jobs: Sequence[JobFiles], timeout_s: float | None = None,
             on_change: Callable[[], None] | None = None) -> None:
        """Return when no job is queued or running any more (a requeued job is waited for)."""

    def live(self, jobs: Sequence[tuple[JobFiles, JobState]]) -> dict[Path, str]:
        """Of the jobs whose state is pending or running, those still alive: job file -> running or pending."""


def executor_for(kind: str, config: Executor, output_root: Path) -> JobExecutor:
    module, name = EXECUTORS[kind].split(":")
    cls = getattr(importlib.import_module(module), name)
    return cls(config, output_root)
