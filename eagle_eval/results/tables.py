"""The leaderboard from results files: one row per evaluated model, published rows, ranks and Δ rows.

Runs become rows by eagle_eval/results/board.py (one row per model identity, labelled), each cell
says what it is by eagle_eval/results/table_rows.py (its marks), rows are ranked by the rule of
eagle_eval/results/ranking.py with rank intervals from eagle_eval/results/rank_intervals.py, and
eagle_eval/results/table_formats.py prints the board in markdown, LaTeX, CSV, HTML or JSON.

A Δ row compares a run with the published row of its own model when that row is on the board (the
rule `report` uses: eagle_eval/results/reference_match.py), and otherwise with each published row
the user named; `--reference all` names none, so a run without a published row of its own gets no Δ.
A published cell of another split or metric than its column's (marked `≠`) is shown but counts as
no value in the ranking and in Δ rows: a row that lacks it in a ranking column is not ranked, and says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eagle_eval.results.board import BoardEntry, board_entries
from eagle_eval.results.document import ResultsError, RunResults
from eagle_eval.results.rank_intervals import apply_rank_intervals
from eagle_eval.results.ranking import Ranking, rank_rows
from eagle_eval.results.reference import PAPER_COLUMNS, ReferenceRow
from eagle_eval.results.reference_match import own_reference
from eagle_eval.results.table_formats import FORMATS, LEADERBOARD_SCHEMA, Format, render_table
from eagle_eval.results.table_rows import (
    DRIFT_MARK,
    ERROR_MARK,
    NOTES,
    PARTIAL_MARK,
    SERVER_MARK,
    SUBSET_MARK,
    UNCERTAINTY_NOTES,
    UNCERTAINTY_STYLES,
    UNPINNED_MARK,
    VARIANT_MARK,
    TableRow,
    Uncertainty,
    delta_row,
    format_value,
    mark_drift,
    reference_row,
    run_row,
)

__all__ = [
    "DRIFT_MARK", "ERROR_MARK", "FORMATS", "LEADERBOARD_SCHEMA", "NOTES", "PARTIAL_MARK", "SERVER_MARK", "SUBSET_MARK",
    "UNCERTAINTY_NOTES", "UNCERTAINTY_STYLES", "UNPINNED_MARK", "VARIANT_MARK", "BoardOptions", "Format", "Ranking",
    "TableRow", "Uncertainty", "build_leaderboard", "build_table", "delta_row", "format_value", "rank_table_rows",
    "reference_row", "render_table", "run_row",
]


@dataclass
class BoardOptions:
    """How `table` builds the board (docs/cli.md)."""

    # None: the columns that have a value or a mark; "paper": the paper's 13; "all": those and a column
    # per task outside the paper's table; else task names, whose columns also become the ranking columns.
    columns: str | Sequence[str] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)  # --label RUN=NAME
    rank_subsets: bool = False  # rank subset rows against full-split rows
    strict: bool = False  # refuse a cell with failed samples
    named_references: bool = False  # the user named the published rows (not `all`)
    intervals: bool = True  # rank intervals from the per-sample scores


RunInput = RunResults | tuple[Path, RunResults] | BoardEntry


def build_table(runs: Sequence[RunInput], references: Sequence[ReferenceRow] = ()) -> list[TableRow]:
    """Published rows and runs ranked together, each run followed by its Δ rows."""
    return build_leaderboard(runs, references)[0]


def build_leaderboard(runs: Sequence[RunInput], references: Sequence[ReferenceRow] = (),
                      options: BoardOptions | None = None) -> tuple[list[TableRow], Ranking]:
    options = options or BoardOptions()
    entries = _entries(runs, options)
    columns = _columns(entries, references, options.columns)
    run_rows = [_entry_row(entry, columns) for entry in entries]
    mark_drift(run_rows)
    if options.strict:
        _refuse_failed(run_rows)
    ref_rows = [reference_row(ref) for ref in references]
    for row in ref_rows:
        row.values = {column: row.values.get(column) for column in columns}
    if options.columns is None:
        shown = [c for c in columns if any(r.values.get(c) is not None or c in r.marks for r in (*run_rows, *ref_rows))]
        for row in (*run_rows, *ref_rows):
            row.values = {column: row.values.get(column) for column in shown}
        columns = shown
    ranked, ranking = _rank(ref_rows, run_rows, columns, options)
    owners = {id(row): own_reference(entry.run.model) for row, entry in zip(run_rows, entries, strict=True)}
    rows: list[TableRow] = []
    for row in ranked:
        rows.append(row)
        if row.kind == "run":
            rows.extend(delta_row(row, ref) for ref in _delta_targets(owners[id(row)], ref_rows, options))
    return rows, ranking


def rank_table_rows(rows: Sequence[TableRow], rank_subsets: bool = True) -> tuple[list[TableRow], Ranking]:
    """Rows best first by the leaderboard rule, each given its rank, score, and why it is left out."""
    columns = list(rows[0].values) if rows else list(PAPER_COLUMNS)
    ranking = rank_rows([row.comparable_values() for row in rows], columns, _subsets_left_out(rows, rank_subsets))
    for row, rank, score, why in zip(rows, ranking.ranks, ranking.scores, ranking.left_out, strict=True):
        row.rank, row.score, row.left_out = rank, score, _why_left_out(row, why, ranking)
    return [rows[i] for i in ranking.order], ranking


def _rank(ref_rows: list[TableRow], run_rows: list[TableRow], columns: list[str],
          options: BoardOptions) -> tuple[list[TableRow], Ranking]:
    rows = [*ref_rows, *run_rows]
    fixed = options.columns is not None and not isinstance(options.columns, str)
    ranking = rank_rows([row.comparable_values() for row in rows], columns,
                        _subsets_left_out(rows, options.rank_subsets), fixed=fixed)
    for row, rank, score, why in zip(rows, ranking.ranks, ranking.scores, ranking.left_out, strict=True):
        row.rank, row.score, row.left_out = rank, score, _why_left_out(row, why, ranking)
    ordered = [rows[i] for i in ranking.order]
    if options.intervals:
        apply_rank_intervals([row for row in ordered if row.rank is not None], ranking.columns)
    return ordered, ranking


def _why_left_out(row: TableRow, why: str | None, ranking: Ranking) -> str | None:
    """The ranking's reason, naming a ranking column whose published cell is of another split or metric."""
    other = [column for column in ranking.columns if column in row.not_comparable]
    if why is None or not other or why.startswith("a subset"):
        return why
    missing = [c for c in ranking.columns if row.values.get(c) is None]
    reasons = [f"{', '.join(other)} published for another split or metric (≠)"]
    return "; ".join(reasons + ([f"no value for {', '.join(missing)}"] if missing else []))


def _subsets_left_out(rows: Sequence[TableRow], rank_subsets: bool) -> list[str | None]:
    """Per row, why it is not ranked as a subset: only beside a full-split row (a run or a published
    row), and not with `--rank-subsets`; a board of subsets alone ranks them against each other."""
    if rank_subsets or all(row.subset is not None for row in rows):
        return [None] * len(rows)
    return [None if row.subset is None else f"a subset ({row.subset})" for row in rows]


def _entries(runs: Sequence[RunInput], options: BoardOptions) -> list[BoardEntry]:
    if all(isinstance(run, BoardEntry) for run in runs):
        return [run for run in runs if isinstance(run, BoardEntry)]
    pairs = [run if isinstance(run, tuple) else (Path(f"<run {i}>"), run) for i, run in enumerate(runs)
             if not isinstance(run, BoardEntry)]
    return board_entries(pairs, options.labels)


def _entry_row(entry: BoardEntry, columns: Sequence[str]) -> TableRow:
    row = run_row(entry.run, entry.label, columns)
    row.source = ", ".join(entry.run_ids)
    row.paths = list(entry.paths)
    return row


def _columns(entries: Sequence[BoardEntry], references: Sequence[ReferenceRow],
             spec: str | Sequence[str] | None) -> list[str]:
    if spec is None or spec == "paper":
        return list(PAPER_COLUMNS)
    if spec == "all":
        extra = [name for entry in entries for name, result in entry.run.results.items() if result.paper_column is None]
        return [*PAPER_COLUMNS, *dict.fromkeys(extra)]
    if isinstance(spec, str):
        spec = [part for part in spec.split(",") if part.strip()]
    return list(dict.fromkeys(_task_column(name.strip(), entries) for name in spec))


def _task_column(name: str, entries: Sequence[BoardEntry]) -> str:
    """The column a task fills (its paper column, else its own name); a paper column's name is one too."""
    wanted = name.lower().replace("-", "_")
    for column in PAPER_COLUMNS:
        if column.lower() == wanted:
            return column
    for entry in entries:
        for task, result in entry.run.results.items():
            if task.lower() == wanted:
                return result.paper_column or task
    from eagle_eval.api.registry import get_task

    found = get_task(wanted)  # an unknown name is the user's error, naming the closest
    return found.paper_column or found.name


def _refuse_failed(rows: Sequence[TableRow]) -> None:
    failed = [f"{row.source} ({row.label}), task {row.tasks[column]}: {count} failed samples"
              for row in rows for column, count in row.failed.items() if column in row.values]
    if failed:
        raise ResultsError("table --strict: cells with failed samples: " + "; ".join(failed)
                           + " (rerun the run to retry them, or leave out --strict to show them marked)")


def _delta_targets(own: ReferenceRow | None, ref_rows: Sequence[TableRow],
                   options: BoardOptions) -> list[TableRow]:
    if own is not None:
        shown = [row for row in ref_rows if row.label == own.label]
        if shown:
            return shown
    return list(ref_rows) if options.named_references else []
