"""The plan: everything a run needs resolved and checked before any data or weights load.

The model entry and its arguments, the pins of `--lock`/`--require-pinned`, the run id and a writable
output folder, the data root, the device and the seed: a mistake in any of them stops the run at
once. Then, holding the run directory, every task's data and judge are read (`read_task_inputs`), so
a missing split or a half-set judge stops the run before the model loads rather than after hours of
generation.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eagle_eval.api.registry import ModelEntry, get_model_entry, get_task
from eagle_eval.api.task import Task
from eagle_eval.core.output_files import check_writable_dir
from eagle_eval.core.records import Doc
from eagle_eval.data.images import max_pixels_from_env
from eagle_eval.data.loading import DataError, is_findable, resolve_data_root
from eagle_eval.run.config import RunConfig
from eagle_eval.run.distributed import DistContext, context_from_env, device_for_rank
from eagle_eval.run.fingerprints import compute_run_id
from eagle_eval.run.generate import load_task_docs
from eagle_eval.run.ownership import refuse_if_busy
from eagle_eval.run.pinning import RunPins
from eagle_eval.run.scoring import judge_for_task


@dataclass
class RunPlan:
    """A run resolved: what every later stage reads instead of the raw `RunConfig`."""

    config: RunConfig  # with the revision the pins resolved
    ctx: DistContext
    tasks: list[Task]
    entry: ModelEntry
    pins: RunPins
    run_id: str
    run_dir: Path
    data_root: Path | None
    device: str | None

    @property
    def show_progress(self) -> bool:
        return self.config.show_progress and self.ctx.is_main

    @property
    def auto_batch_size(self) -> bool:
        return self.config.batch_size == "auto"


@dataclass
class TaskInputs:
    """Every task's docs in the run's window, whether that is a subset, and its judge (or None)."""

    docs: dict[str, tuple[list[Doc], bool]]
    judges: dict[str, Any]


def plan_run(config: RunConfig) -> RunPlan:
    """Resolve and check `config`: raises before any data or weights load on anything wrong."""
    ctx = context_from_env()
    max_pixels_from_env()  # a malformed pixel limit is a usage error, not one error per sample
    tasks = [get_task(name) for name in config.tasks]
    entry = get_model_entry(config.model)
    entry.check_model_args(config.model_args)  # before any data or weights load
    pins = RunPins.from_options(config.lock, config.require_pinned)
    config = replace(config, revision=pins.model_revision(entry.name, config.revision, config.model_path))
    run_id = config.run_id or compute_run_id(config)  # from config.device: the same on every rank
    data_root = resolve_data_root(config.data_root)  # a --data-root that is not there, named as such
    run_dir = Path(config.output_dir) / run_id
    check_writable_dir(run_dir)  # a read-only or full output folder stops the run before data or weights load
    if (run_dir / "samples").is_dir():
        check_writable_dir(run_dir / "samples")
    if ctx.is_main:
        refuse_if_busy(run_dir)  # another launch holds it: say so now, not after torch and the data load
    needs_torch = entry.needs_torch
    device = device_for_rank(config.device, ctx, ctx.is_distributed and needs_torch and _cuda_available())
    seed_everything(config.seed, with_torch=needs_torch)
    return RunPlan(config, ctx, tasks, entry, pins, run_id, run_dir, data_root, device)


def read_task_inputs(plan: RunPlan) -> TaskInputs:
    """Every task's data (resolved, checked against the pins, recorded) and judge; one error names
    every task whose data cannot be read, so one try shows all that is missing."""
    config = plan.config

    def load(task: Task) -> tuple[list[Doc], bool]:
        with plan.pins.loading(task.name):
            return load_task_docs(task, plan.data_root, config.limit, plan.show_progress, config.offset)

    docs = load_every_task(plan.tasks, plan.data_root, load)
    return TaskInputs(docs=docs, judges={task.name: judge_for_task(task) for task in plan.tasks})


def load_every_task(tasks: Sequence[Task], data_root: Path | None,
                    load: Callable[[Task], tuple[list[Doc], bool]]) -> dict[str, tuple[list[Doc], bool]]:
    """Every task's docs, or one DataError naming every task whose data cannot be read.

    Where each split is read from is decided for every task first (eagle_eval.data.loading.is_findable:
    the data root, the hub when it answers, or the hub cache), without reading any. The tasks with a
    split found nowhere load first; when one of them fails, the error comes before any other task's
    data is read (a task whose `load_docs` reads no declared split loads like any other).
    """
    doubtful = [task for task in tasks if not all(is_findable(source, data_root) for source in task.sources)]
    loaded: dict[str, tuple[list[Doc], bool]] = {}
    missing: dict[str, str] = {}  # every unreadable task's message, so one try names all that is missing
    for task in [*doubtful, *(task for task in tasks if task not in doubtful)]:
        if missing and task not in doubtful:
            break
        try:
            loaded[task.name] = load(task)
        except DataError as err:
            missing[task.name] = str(err)
    if missing:
        messages = [missing[task.name] if len(tasks) == 1 else f"{task.name}: {missing[task.name]}"
                    for task in tasks if task.name in missing]
        raise DataError(messages[0] if len(messages) == 1 else
                        f"{len(messages)} of {len(tasks)} tasks cannot read their data — " + " | ".join(messages))
    return loaded


def seed_everything(seed: int, with_torch: bool) -> None:
    random.seed(seed)
    try:
        import numpy

        numpy.random.seed(seed)
    except ImportError:
        pass
    if with_torch:
        import torch

        torch.manual_seed(seed)


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
