"""The sweep's board: the leaderboard `eagle-eval table` builds over the sweep's run folders, with every
cell that is not done left empty and marked, GPU-hours per model, a report per model and an index.

A cell counts only when `sweep status` says `done`: a partial, stale, failed, rescore or running
cell is taken out of its run's results before the board is built, so it is never averaged or
ranked in silently, and its column carries the mark `INCOMPLETE_MARK` with the cell's state in the
board's own list of cells (`SweepBoard.incomplete`). The rows, marks, error bars, ranks with their
intervals and published rows are exactly `table`'s (eagle_eval.results.tables).

GPU-hours per model are measured: every attempt of every job of the model's run, wall seconds × the
GPUs the job held (eagle_eval.sweep.records), requeues and stopped attempts included.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from eagle_eval.api.registry import get_task
from eagle_eval.results.board import board_entries
from eagle_eval.results.document import RunResults, load_results
from eagle_eval.results.reference import PAPER_COLUMNS, ReferenceRow
from eagle_eval.results.table_rows import INCOMPLETE_MARK
from eagle_eval.results.tables import BoardOptions, Ranking, TableRow, build_leaderboard
from eagle_eval.sweep.records import job_states
from eagle_eval.sweep.spec import Sweep
from eagle_eval.sweep.status import StatusCell


@dataclass
class SweepBoard:
    rows: list[TableRow]
    ranking: Ranking
    gpu_hours: dict[str, float]  # per model (label), measured
    job_hours: dict[str, float]  # per model (label), the jobs' wall time (a CPU-only sweep has no GPU-hours)
    run_dirs: dict[str, Path]  # per model (label), the run folders that have results
    incomplete: list[StatusCell] = field(default_factory=list)


def build_sweep_board(sweep: Sweep, cells: list[StatusCell], references: list[ReferenceRow] | None = None) -> SweepBoard:
    by_run: dict[str, list[StatusCell]] = {}
    for cell in cells:
        by_run.setdefault(cell.cell.run_id, []).append(cell)
    runs: list[tuple[Path, RunResults]] = []
    gpu_hours: dict[str, float] = {}
    job_hours: dict[str, float] = {}
    run_dirs: dict[str, Path] = {}
    incomplete: list[StatusCell] = []
    for run_id, run_cells in by_run.items():
        label = run_cells[0].cell.model
        gpu_hours[label], job_hours[label] = measured_hours(sweep.output_root, run_id)
        not_done = [cell for cell in run_cells if cell.state != "done"]
        incomplete.extend(not_done)
        path = sweep.output_root / run_id / "results.json"
        if path.is_file():
            run = load_results(path)
            run = replace(run, label=run.label or label,
                          results={task: entry for task, entry in run.results.items()
                                   if task not in {cell.cell.task for cell in not_done}})
            runs.append((path, run))
            run_dirs[label] = path.parent
    options = BoardOptions(columns=_columns(sweep))
    rows, ranking = build_leaderboard(board_entries(runs), references or [], options)
    _mark(rows, incomplete)
    return SweepBoard(rows, ranking, gpu_hours, job_hours, run_dirs, incomplete)


def _columns(sweep: Sweep) -> str | list[str]:
    paper_tasks = {get_task(task).paper_column for task in sweep.tasks}
    if paper_tasks >= set(PAPER_COLUMNS):
        return "paper"
    return list(sweep.tasks)


def _mark(rows: list[TableRow], incomplete: list[StatusCell]) -> None:
    by_run: dict[str, set[str]] = {}
    for cell in incomplete:
        by_run.setdefault(cell.cell.run_id, set()).add(cell.cell.task)
    for row in rows:
        if row.kind != "run":
            continue
        for run_id in row.source.split(","):
            for task in by_run.get(run_id.strip(), ()):
                column = _column_of(task, row)
                if column is not None and INCOMPLETE_MARK not in row.marks.get(column, ""):
                    row.values[column] = None
                    row.marks[column] = row.marks.get(column, "") + INCOMPLETE_MARK


def _column_of(task: str, row: TableRow) -> str | None:
    if task in row.values:
        return task
    column = get_task(task).paper_column
    return column if column in row.values else None


def measured_hours(output_root: Path, run_id: str) -> tuple[float, float]:
    """(GPU-hours, wall hours) of every attempt of every job of the run."""
    states = [state for _, _, state in job_states(output_root, run_id) if state is not None]
    return sum(s.gpu_seconds for s in states) / 3600.0, sum(s.wall_seconds for s in states) / 3600.0
