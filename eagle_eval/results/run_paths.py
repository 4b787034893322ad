"""Which results file a path on the command line means, and when none, what stands there instead.

Users pass a run folder, its results.json, or the output folder above the runs (`runs/` for
`runs/<run-id>/`); they also pass a samples file or a path with a typo. Each gets its own answer: an
output folder holding one run means that run, one holding several lists them, a samples file names its
run folder, and a path that does not exist says so. A leaf of the results package: it imports core only.
"""

from __future__ import annotations

import os
from pathlib import Path

from eagle_eval.core.text_input import why_not_a_file

RESULTS_FILENAME = "results.json"
LISTED_RUNS = 8  # run folders named in a message; more are counted


def locate_results(path: Path) -> tuple[Path, str | None]:
    """The results file `path` means, and None; or the path and why no results file is there."""
    if not os.path.lexists(path):
        return path, f"results file not found: {path} (no such file or folder)"
    if path.is_dir() and path.name != RESULTS_FILENAME:
        inner = path / RESULTS_FILENAME
        if os.path.lexists(inner):
            problem = why_not_a_file(inner)
            return inner, f"{inner} {problem}, where a run's results belong" if problem else None
        return _run_inside(path)
    if (hint := _samples_file(path)) is not None:
        return path, hint
    problem = why_not_a_file(path)
    return path, f"{path} {problem}, where a run's results belong" if problem else None


def runs_inside(folder: Path) -> list[Path]:
    """The run folders directly inside `folder` (each holding a results.json), in name order."""
    try:
        children = sorted(child for child in folder.iterdir() if child.is_dir())
    except OSError:
        return []
    return [child for child in children if (child / RESULTS_FILENAME).is_file()]


def _run_inside(folder: Path) -> tuple[Path, str | None]:
    runs = runs_inside(folder)
    if len(runs) == 1:  # an output folder with one run: that run
        return runs[0] / RESULTS_FILENAME, None
    if not runs:
        return folder / RESULTS_FILENAME, (f"results file not found: {folder / RESULTS_FILENAME}, and no run folder "
                                           f"directly inside {folder}; pass a run folder written by `eagle-eval run`")
    names = ", ".join(str(run) for run in runs[:LISTED_RUNS])
    more = f" and {len(runs) - LISTED_RUNS} more" if len(runs) > LISTED_RUNS else ""
    return folder / RESULTS_FILENAME, f"{folder} holds {len(runs)} runs, not one; pass one of them: {names}{more}"


def _samples_file(path: Path) -> str | None:
    """A run's samples or scores file (JSON Lines, one sample a line) given where results belong."""
    in_run = path.parent.name in ("samples", "scores") and (path.parent.parent / RESULTS_FILENAME).is_file()
    if path.suffix != ".jsonl" and not in_run:
        return None
    kind = f"a {path.parent.name} file" if in_run else "a JSON Lines file"
    fix = f"pass its run folder {path.parent.parent}" if in_run else "pass a run folder or its results.json"
    return f"{path} is {kind} (one sample a line), not a results file; {fix}"
