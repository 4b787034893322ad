"""What a sweep keeps of its jobs: one folder per run beside the run folders, hidden from `table runs/*/`.

    <output_root>/.sweep/<run_id>/<job_id>.job.json    what the job is to do (written when it is submitted)
    <output_root>/.sweep/<run_id>/<job_id>.state.json  where it stands (the submitter, then the job itself)
    <output_root>/.sweep/<run_id>/<job_id>.run.yaml    the `eagle-eval run --config` file the job runs
    <output_root>/.sweep/<run_id>/<job_id>.log         the job's stdout and stderr

A job's state is one of pending (submitted, not started), running, done or failed; a job that was
running when its process died (a cancel, a preemption, a lost node) stays `running` in its file,
and `sweep status` asks the executor (the process table, or Slurm) whether it still is.
Every file is written whole (eagle_eval.core.output_files), so a reader never sees half of one.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eagle_eval.core.output_files import write_text_atomic
from eagle_eval.results.samples import latest_by_key, read_samples

SWEEP_DIR = ".sweep"
JOB_STATES = ("pending", "running", "done", "failed")


@dataclass(frozen=True)
class JobFiles:
    """The paths of one job's files."""

    folder: Path
    job_id: str

    @classmethod
    def of(cls, output_root: Path, run_id: str, job_id: str) -> JobFiles:
        return cls(output_root / SWEEP_DIR / run_id, job_id)

    @property
    def spec(self) -> Path:
        return self.folder / f"{self.job_id}.job.json"

    @property
    def state(self) -> Path:
        return self.folder / f"{self.job_id}.state.json"

    @property
    def run_config(self) -> Path:
        return self.folder / f"{self.job_id}.run.yaml"

    @property
    def log(self) -> Path:
        return self.folder / f"{self.job_id}.log"


@dataclass
class JobState:
    """Where one job stands; `gpu_seconds` is wall time × the GPUs it held, for the board's GPU-hours."""

    state: str = "pending"
    executor: str = "local"
    scheduler_id: str | None = None  # Slurm's job id (array jobs: <array>_<index>)
    host: str | None = None
    pid: int | None = None
    submitted: float | None = None
    started: float | None = None
    ended: float | None = None
    attempts: int = 0  # starts, requeues included
    gpus: int = 0
    gpu_seconds: float = 0.0  # every attempt's, added up
    wall_seconds: float = 0.0
    samples_generated: int = 0
    returncode: int | None = None
    error: str | None = None  # the first line of why it failed
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read_state(path: Path) -> JobState | None:
    """The state file, or None when it is missing or unreadable (a job file without a state is unknown)."""
    data = read_json(path)
    if data is None:
        return None
    known = {name for name in JobState.__dataclass_fields__}
    return JobState(**{key: value for key, value in data.items() if key in known})


def write_state(path: Path, state: JobState) -> None:
    write_json(path, state.to_json())


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def job_states(output_root: Path, run_id: str) -> list[tuple[JobFiles, dict[str, Any], JobState | None]]:
    """Every job of one run folder with its spec and state, oldest submission first."""
    folder = output_root / SWEEP_DIR / run_id
    jobs = []
    for spec_path in sorted(folder.glob("*.job.json")) if folder.is_dir() else []:
        files = JobFiles(folder, spec_path.name.removesuffix(".job.json"))
        spec = read_json(spec_path)
        if spec is not None:
            jobs.append((files, spec, read_state(files.state)))
    jobs.sort(key=lambda job: (job[2].submitted or 0.0) if job[2] else 0.0)
    return jobs


def this_host() -> str:
    return socket.gethostname()


def now() -> float:
    return time.time()


def stored_samples(run_dir: Path, tasks: list[str]) -> int:
    """Docs with a successful stored sample, over the given tasks of a run folder."""
    count = 0
    for task in tasks:
        path = run_dir / "samples" / f"{task}.jsonl"
        if path.is_file():
            count += sum(1 for record in latest_by_key(read_samples(path)).values() if record.error is None)
    return count
