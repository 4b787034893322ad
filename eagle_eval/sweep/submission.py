"""A packed job written down for an executor: its run config, its job file and its first state.

The run config is the `eagle-eval run --config` file of the job's model with the sweep's shared
settings and the job's tasks (every path absolute: a job may start in another folder or on another
machine), so what a job does can be read, and run by hand, from its files alone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from eagle_eval.core.output_files import write_text_atomic
from eagle_eval.sweep.jobs import Job
from eagle_eval.sweep.records import JobFiles, JobState, now, this_host, write_json, write_state
from eagle_eval.sweep.spec import Sweep


def run_settings(sweep: Sweep, job: Job) -> dict[str, Any]:
    """The job's `run --config` mapping: only keys with a value, so the run's defaults stay its own."""
    model, settings = job.model, sweep.settings
    values: dict[str, Any] = {
        "model": model.name, "tasks": list(job.tasks), "output_dir": _absolute(sweep.output_root),
        "limit": settings.limit, "batch_size": settings.batch_size, "data_root": _absolute(settings.data_root),
        "seed": settings.seed, "label": model.label, "predictions": _absolute(model.predictions),
        "model_path": model.model_path, "revision": model.revision, "lock": _absolute(settings.lock),
        "model_arg": dict(model.model_args) or None,
        "gen_kwargs": settings.gen_kwargs.to_json() if settings.gen_kwargs is not None else None,
    }
    return {key: value for key, value in values.items() if value is not None}


def _absolute(path: Path | str | None) -> str | None:
    return str(Path(path).expanduser().resolve()) if path is not None else None


def write_jobs(sweep: Sweep, jobs: Sequence[Job]) -> list[JobFiles]:
    """Each job's files, its state `pending`; a job id already used in the run folder gets a new suffix."""
    written = []
    for job in jobs:
        files = _fresh(sweep.output_root, job)
        write_text_atomic(files.run_config, yaml.safe_dump(run_settings(sweep, job), sort_keys=False))
        gpus = 0 if job.rescore_only else sweep.executor.gpus_per_job
        write_json(files.spec, {**job.to_json(), "run_dir": str((sweep.output_root / job.run_id).resolve()),
                                "gpus": gpus, "processes": 1 if job.rescore_only else sweep.executor.processes_per_job,
                                "sweep": str(sweep.path.resolve())})
        write_state(files.state, JobState(state="pending", submitted=now(), gpus=gpus,
                                          executor="local" if job.rescore_only else sweep.executor.kind,
                                          extra={"submitter": {"host": this_host(), "pid": os.getpid()}}))
        written.append(files)
    return written


def _fresh(output_root: Path, job: Job) -> JobFiles:
    files = JobFiles.of(output_root, job.run_id, job.job_id)
    attempt = 1
    while files.spec.exists():
        attempt += 1
        files = JobFiles.of(output_root, job.run_id, f"{job.job_id}.{attempt}")
    files.folder.mkdir(parents=True, exist_ok=True)
    return files
