"""How `sweep plan` and `sweep status` print cells and jobs: a rich table on a terminal, markdown when piped."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from eagle_eval.cli.common import out_console

_STYLES = {"done": "green", "new": "cyan", "partial": "yellow", "rescore": "magenta", "failed": "red",
           "stale": "red", "unknown": "dim", "running": "bold blue", "pending": "blue"}
# model, task, state, valid, total, reason, run id
CellLine = tuple[str, str, str, int, "int | None", str, str]


def print_cells(cells: Sequence[CellLine], states: Sequence[str]) -> None:
    headers = ["model", "task", "state", "reason", "run"]
    rows = [[model, task, _state(state, valid, total), reason, run_id]
            for model, task, state, valid, total, reason, run_id in cells]
    _print_table(headers, rows, state_column=2)
    counts = Counter(cell[2] for cell in cells)
    summary = ", ".join(f"{counts[state]} {state}" for state in states if counts[state])
    out_console.print(f"{len(cells)} cell{'' if len(cells) == 1 else 's'}: {summary}", markup=False)


def print_jobs(jobs: Sequence[Any], gpu_hours: float, gpus_per_job: int) -> None:
    if not jobs:
        out_console.print("no job to submit: every cell is done or held by a running job", markup=False)
        return
    headers = ["job", "model", "tasks", "samples", "predicted"]
    rows = [[job.job_id, job.model.display, ",".join(job.tasks), str(job.samples), _duration(job.seconds)]
            for job in jobs]
    _print_table(headers, rows, state_column=None)
    out_console.print(f"{len(jobs)} job(s), predicted {gpu_hours:.2f} GPU-hours ({gpus_per_job} GPU(s) per job)",
                      markup=False)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _state(state: str, valid: int, total: int | None) -> str:
    if state in ("partial", "running") and total is not None:
        return f"{state} {valid}/{total}"
    return state


def _is_terminal() -> bool:
    return sys.stdout.isatty()


def _print_table(headers: list[str], rows: list[list[str]], state_column: int | None) -> None:
    if _is_terminal():
        from rich.table import Table

        table = Table(*headers, show_lines=False)
        for row in rows:
            cells = list(row)
            if state_column is not None:
                style = _STYLES.get(row[state_column].split()[0], "")
                cells[state_column] = f"[{style}]{row[state_column]}[/]" if style else row[state_column]
            table.add_row(*cells)
        out_console.print(table)
        return
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(text.replace("|", "\\|") for text in row) + " |")
