"""Run folders as `run` leaves them, written from per-sample scores, for the gate's tests."""

from __future__ import annotations

import json
from pathlib import Path

from eagle_eval.results.document import (
    Headline,
    ModelRecord,
    RunResults,
    RunSettings,
    TaskResult,
    write_results,
)


def write_scored_run(
    folder: Path, per_task: dict[str, list[float]], units: dict[str, list[str]] | None = None
) -> Path:
    """A run folder as `run` leaves it: results.json and scores/<task>.jsonl (MMMU-style 0/1 accuracy)."""
    results = {}
    for task, scores in per_task.items():
        value = 100.0 * sum(scores) / len(scores)
        results[task] = TaskResult(
            task=task, paper_column="MMMU", headline=Headline("accuracy", value, "percent"),
            metrics={"accuracy": value / 100}, n_samples=len(scores), n_errors=0, subset=False,
            extraction={"rule": len(scores), "judge": 0, "unresolved": 0, "fallback": 0},
        )  # fmt: skip
        names = (units or {}).get(task) or [f"validation/{i}" for i in range(len(scores))]
        lines = [
            json.dumps(
                {"split": "validation", "doc_id": i, "values": {"accuracy": s}, "parsed": None, "unit": u}
            )
            for i, (s, u) in enumerate(zip(scores, names, strict=True))
        ]
        (folder / "scores").mkdir(parents=True, exist_ok=True)
        (folder / "scores" / f"{task}.jsonl").write_text("\n".join(lines) + "\n")
    run = RunResults(
        "r",
        "2025-01-01T00:00:00+00:00",
        "eagle-eval run",
        1,
        ModelRecord("m"),
        RunSettings(),
        results,
        {},
        {},
    )
    write_results(folder / "results.json", run)
    return folder
