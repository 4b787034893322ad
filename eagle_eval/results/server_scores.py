"""Record a score returned by an evaluation server (EvalAI: VQAv2 test-dev, VizWiz test) in results.json.

Server-scored tasks finish a run with a submission file and no headline. Once the server answers,
`record_server_score` puts its number into the run's results.json as the task's headline, in the
paper's units (percent for VQA accuracy), keeps what was recorded under `metrics["server_score"]`,
and rewrites the file atomically, so tables and comparisons treat it like any other score.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eagle_eval.core.output_files import write_text_atomic
from eagle_eval.results.document import RESULTS_FILENAME, ResultsError, RunResults, load_results

_PERCENT_RANGE = (0.0, 100.0)


def record_server_score(
    results_path: Path | str,
    task: str,
    value: float,
    *,
    metric: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Write `value` (paper units) as `task`'s headline in results.json; returns the updated task entry.

    `metric` names the server's metric (the task's headline metric when omitted); `note` says where
    the number came from (server phase, submission id, date). Raises ResultsError when the file or
    the task entry is missing, or the value cannot be a score in the task's units.
    """
    path = Path(results_path)
    if path.is_dir():
        path = path / RESULTS_FILENAME
    load_results(path)  # validates the document before anything is changed
    document = json.loads(path.read_text(encoding="utf-8"))
    entries = document["results"]
    if task not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise ResultsError(f"{path}: no results for task {task!r} (tasks in this file: {known})")
    entry = entries[task]
    if not entry.get("server_scored"):
        # A locally scored headline would be replaced by a number nothing in the run produced.
        server = ", ".join(sorted(name for name, other in entries.items() if other.get("server_scored"))) or "none"
        raise ResultsError(f"{path}: {task} was scored here, not by an evaluation server, so there is no server "
                           f"score to record; tasks awaiting one in this file: {server}")
    units = entry["headline"]["units"]
    _check_value(float(value), units, task)

    metric_name = metric or entry["headline"]["metric"]
    entry["headline"] = {"metric": metric_name, "value": float(value), "units": units}
    entry["server_scored"] = True
    entry["metrics"]["server_score"] = {
        "metric": metric_name,
        "value": float(value),
        "units": units,
        "note": note,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RunResults.from_json(document, str(path))  # the edited document must still be a valid results file
    write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return entry


def _check_value(value: float, units: str, task: str) -> None:
    if not math.isfinite(value):
        raise ResultsError(f"server score for {task} must be a finite number, got {value}")
    if units == "percent":
        low, high = _PERCENT_RANGE
        if not low <= value <= high:
            raise ResultsError(
                f"server score for {task} is {value}, outside {low}–{high}: pass it in percent as the "
                "server prints it (VQA accuracy 80.9 is passed as 80.9)"
            )
    elif value < 0:
        raise ResultsError(f"server score for {task} must not be negative, got {value}")
