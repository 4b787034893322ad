"""Sweep files, replay predictions and readers shared by the sweep tests that run jobs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "hub"


def use_session_tiny_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Job processes read the eagle-tiny checkpoint this session built, instead of each building its own."""
    from eagle_eval.model_adapters.eagle import tiny

    folder = tiny.ensure_tiny_checkpoint("eagle-tiny")
    monkeypatch.setenv("EAGLE_EVAL_CACHE", str(folder.parent))


def replay_folder(root: Path, tasks: Sequence[str], answer: str = "yes", limit: int | None = None) -> Path:
    """A samples/ folder answering every doc of each task's window with `answer`."""
    from eagle_eval.api.registry import get_task
    from eagle_eval.run.generate import load_task_docs

    samples = root / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        docs, _ = load_task_docs(get_task(task), DATA, limit, False)
        (samples / f"{task}.jsonl").write_text("".join(
            json.dumps({"doc_id": doc.doc_id, "split": doc.split, "prediction": answer}) + "\n" for doc in docs))
    return root


def write_sweep(folder: Path, models: list[Any], tasks: Sequence[str], executor: dict[str, Any],
                **settings: Any) -> Path:
    path = folder / "sweep.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"output_root": "out", "models": models, "tasks": list(tasks),
                                "settings": {"data_root": str(DATA), **settings}, "executor": executor}))
    return path


def status_of(path: Path) -> dict[tuple[str, str], Any]:
    from eagle_eval.sweep.spec import load_sweep
    from eagle_eval.sweep.status import sweep_status

    return {(cell.cell.model, cell.cell.task): cell for cell in sweep_status(load_sweep(path))}


def predictions(run_dir: Path, task: str) -> dict[Any, str | None]:
    """(split, doc id) -> the stored prediction, last line winning, as the run reads it."""
    from eagle_eval.results.samples import latest_by_key, read_samples

    return {key: record.prediction for key, record in latest_by_key(read_samples(run_dir / "samples" / f"{task}.jsonl")).items()}


def headlines(run_dir: Path) -> dict[str, Any]:
    results = json.loads((run_dir / "results.json").read_text())["results"]
    return {task: (entry["n_samples"], entry["metrics"]) for task, entry in results.items()}


def wait_until(what: str, ready: Callable[[], bool], timeout: float = 120.0, interval: float = 0.2,
               explain: Callable[[], str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s" + (f"\n{explain()}" if explain else ""))
        time.sleep(interval)
