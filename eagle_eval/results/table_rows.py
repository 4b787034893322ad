"""The rows of the leaderboard and what each cell says about itself (its marks).

Columns are the paper's 13 (GQA … POPE), in its units, plus, with `table --tasks all`, one column per
task outside the paper's table (named by the task). Each task fills the column named by its
`paper_column`; where several tasks share a column, the paper-protocol one wins and a variant
(validation split, no-OCR prompt) fills it only when the paper's has no value.

Marks: `*` a subset of the data (--limit, --offset), `¶` predictions that cover only part of the data
(score --allow-subset), `†` a server-scored split, `‡` a variant standing in for the paper's protocol
(or a run with --gen-kwargs), `§` a number read from an unpinned source (docs/reproducibility.md),
`≈` data that differs from another row's for the same task (another content hash), `✗N` N samples
that failed (no answer, or no score) and count as wrong, `≠` a published cell of another split or
metric than the column's (MME sum for MME perception, MMBench v1.1 test for MMBench-EN dev): shown
for reference, but never ranked and never in a Δ row, `○` a sweep's cell that is not done (partial,
stale, failed, running: eagle_eval/sweep/board.py), left empty.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from eagle_eval.core.units import unit_of_column
from eagle_eval.provenance.drift import read_identity, record_is_pinned
from eagle_eval.results.document import RunResults, TaskResult
from eagle_eval.results.reference import PAPER_COLUMNS, ReferenceRow
from eagle_eval.stats.summary import NO_INTERVAL_TEXT, headline_error_numbers

Uncertainty = Literal["none", "se", "ci"]
UNCERTAINTY_STYLES: tuple[str, ...] = ("none", "se", "ci")
UNCERTAINTY_NOTES = {
    "se": "± one standard error, clustered where questions share an image (docs/statistics.md).",
    "ci": "[95% interval], clustered where questions share an image (docs/statistics.md).",
}
SUBSET_MARK = "*"
PARTIAL_MARK = "¶"
SERVER_MARK = "†"
VARIANT_MARK = "‡"
UNPINNED_MARK = "§"
DRIFT_MARK = "≈"
ERROR_MARK = "✗"
INCOMPLETE_MARK = "○"
NOT_COMPARABLE_MARK = "≠"
# Each note is one full sentence: every format prints it whole, after its mark.
NOTES = {
    SUBSET_MARK: "subset of the data (--limit or --offset): not comparable with full-set numbers, and not "
    "ranked against them unless --rank-subsets is given.",
    PARTIAL_MARK: "scored from predictions that cover only part of the data (--allow-subset): not comparable "
    "with full-set numbers.",
    SERVER_MARK: "server-scored split: empty until the evaluation server's score is recorded.",
    VARIANT_MARK: "not the paper's protocol (a local validation split, the prompt without OCR tokens, or decoding "
    "changed by --gen-kwargs): it fills the column because the paper's own protocol has no score in these results.",
    UNPINNED_MARK: "unpinned source: data or weights read at a moving revision (main) without a lock.",
    DRIFT_MARK: "data drift: this task's data differs from the data another row read for it (another content "
    "hash), so the two numbers are not over the same questions.",
    ERROR_MARK: "N samples failed (the model or the scorer gave no answer): each counts as wrong, and "
    "table --strict refuses the cell.",
    INCOMPLETE_MARK: "not done in this sweep (partial, stale, failed, running or not run yet): the cell is left "
    "empty and unranked until it is; `eagle-eval sweep status` says why.",
    NOT_COMPARABLE_MARK: "published for another split or metric than the column's (the row's note says which): "
    "shown as printed, but not comparable, so it is left out of the ranking and of every Δ row.",
}
RowKind = Literal["run", "reference", "delta"]
HEADERS = ("Rank", "Model", "Score")


@dataclass
class TableRow:
    label: str
    values: dict[str, float | None]
    marks: dict[str, str] = field(default_factory=dict)
    kind: RowKind = "run"
    model: str = ""
    rank: int | None = None
    score: float | None = None
    source: str = ""  # a published row's source; a run's run id (several, comma-separated, for a merged row)
    # Per column (standard error, interval low, interval high) in paper units, where results have them.
    errors: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    error_style: Uncertainty = "none"
    failed: dict[str, int] = field(default_factory=dict)  # per column: samples that failed (n_errors)
    tasks: dict[str, str] = field(default_factory=dict)  # per column: the task that fills it
    subset: str | None = None  # why the row covers only part of the data ("--limit 8"), else None
    left_out: str | None = None  # why the row is not ranked, else None
    rank_interval: tuple[int, int] | None = None  # 95% bootstrap interval of the rank, where samples exist
    paths: list[str] = field(default_factory=list)  # the results files merged into the row
    data: dict[str, str] = field(default_factory=dict)  # per column: the identity of the data read
    # A published row's cells of another split or metric than the column's: never ranked, never in a Δ.
    not_comparable: frozenset[str] = frozenset()

    def comparable_values(self) -> dict[str, float | None]:
        """The values the ranking and Δ rows may use: a not-comparable cell is None."""
        return {c: None if c in self.not_comparable else v for c, v in self.values.items()}


def run_row(run: RunResults, label: str, columns: Sequence[str] = PAPER_COLUMNS) -> TableRow:
    row = TableRow(label=label, values={column: None for column in columns}, kind="run", model=run.model.name,
                   source=run.run_id)
    for column in columns:
        result = column_source(run, column)
        if result is not None:
            _fill_cell(row, column, result, unpinned_model=run.model.pinned is False)
    return row


def _fill_cell(row: TableRow, column: str, result: TaskResult, unpinned_model: bool) -> None:
    row.values[column] = result.headline.value
    row.tasks[column] = result.task
    # The one interval rule's reading of results.json (eagle_eval.stats.summary); NaN: "n too small".
    error = headline_error_numbers(result.uncertainty, result.headline.units)
    if result.headline.value is not None and error is not None:
        row.errors[column] = error
    partial = (result.subset_reason or "").startswith("--allow-subset")
    mark = (
        ((PARTIAL_MARK if partial else SUBSET_MARK) if result.subset else "")
        + (SERVER_MARK if result.server_scored else "")
        + (VARIANT_MARK if not result.paper_protocol else "")
        + (UNPINNED_MARK if unpinned_model or not all(record_is_pinned(s) for s in result.sources) else "")
    )
    if result.subset and row.subset is None:
        row.subset = result.subset_reason or "a subset of the data"
    if result.n_errors:
        row.failed[column] = result.n_errors
        mark += ERROR_MARK
    if mark:
        row.marks[column] = mark
    if result.sources:
        row.data[column] = "|".join(read_identity(source)[1] for source in result.sources)  # the content hashes


def column_source(run: RunResults, column: str) -> TaskResult | None:
    """The result that fills a column: the paper-protocol task when it has a value, else a variant.

    A server-scored split (VQAv2 test-dev, VizWiz test) has no value until its score is recorded;
    its local validation variant then fills the column, marked, rather than leaving it blank. A
    column named by a task (`table --tasks all`) is that task's.
    """
    if column not in PAPER_COLUMNS:
        return run.results.get(column)
    candidates = [r for r in run.results.values() if r.paper_column == column]
    for wanted in (True, False):
        for result in candidates:
            if result.paper_protocol == wanted and result.headline.value is not None:
                return result
    return candidates[0] if candidates else None


def mark_drift(rows: Sequence[TableRow]) -> None:
    """Mark cells whose task read other data than the same task in another row (≈)."""
    seen: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        for column, identity in row.data.items():
            seen.setdefault((column, row.tasks.get(column, "")), set()).add(identity)
    for row in rows:
        for column, identity in row.data.items():
            if len(seen[(column, row.tasks.get(column, ""))]) > 1 and "unknown" not in identity:
                row.marks[column] = row.marks.get(column, "") + DRIFT_MARK


def reference_row(reference: ReferenceRow) -> TableRow:
    # The footnote carries the row's note with its citation: another report of the same checkpoint, a split.
    # A cell of another split or metric is shown as printed, marked `≠`, and kept out of ranks and Δ rows.
    return TableRow(label=reference.label, values=dict(reference.values), kind="reference", model=reference.model,
                    source=reference.footnote, marks=dict.fromkeys(reference.not_comparable, NOT_COMPARABLE_MARK),
                    not_comparable=frozenset(reference.not_comparable))


def delta_row(run: TableRow, reference: TableRow) -> TableRow:
    values: dict[str, float | None] = {}
    comparable = reference.comparable_values()  # a `≠` cell measures something else: no Δ
    for column in run.values:
        new, old = run.values.get(column), comparable.get(column)
        values[column] = None if new is None or old is None else rounded(column, new) - rounded(column, old)
    return TableRow(label=f"Δ {run.label} vs {reference.label}", values=values, kind="delta", model=run.model,
                    source=reference.source)


def rounded(column: str, value: float) -> float:
    return unit_of_column(column).rounded(value)


def format_value(column: str, value: float | None, signed: bool = False) -> str:
    return unit_of_column(column).format(value, signed=signed)


def error_text(column: str, error: tuple[float, float, float] | None, style: Uncertainty) -> str:
    if error is None or style == "none":
        return ""
    se, low, high = error
    if math.isnan(se if style == "se" else low):
        return f" ({NO_INTERVAL_TEXT})"
    if style == "se":
        return f" ± {format_value(column, se)}"
    return f" [{format_value(column, low)}, {format_value(column, high)}]"


def cell_marks(row: TableRow, column: str) -> str:
    """The cell's marks as printed: `*‡`, with the count after `✗` (`✗3`)."""
    marks = row.marks.get(column, "")
    return marks.replace(ERROR_MARK, f"{ERROR_MARK}{row.failed[column]}") if ERROR_MARK in marks else marks


def cell_number(row: TableRow, column: str) -> str:
    """The cell's value as printed, with its error bar when shown, without marks."""
    text = format_value(column, row.values.get(column), signed=row.kind == "delta")
    return text + error_text(column, row.errors.get(column), row.error_style)


def cells(row: TableRow, columns: Sequence[str], with_marks: bool = True) -> list[str]:
    return [cell_number(row, c) + (cell_marks(row, c) if with_marks else "") for c in columns]


def used_marks(rows: Sequence[TableRow], columns: Sequence[str] | None = None) -> list[str]:
    used = "".join(mark for row in rows for column, mark in row.marks.items() if columns is None or column in columns)
    return [mark for mark in NOTES if mark in used]




def columns_of(rows: Sequence[TableRow]) -> list[str]:
    return list(rows[0].values) if rows else []


def rank_text(row: TableRow) -> str:
    if row.rank is None:
        return ""
    if row.kind == "reference":
        return f"({row.rank})"
    if row.rank_interval is not None and row.rank_interval != (row.rank, row.rank):
        return f"{row.rank} [{row.rank_interval[0]}, {row.rank_interval[1]}]"
    return str(row.rank)


def score_text(row: TableRow) -> str:
    return "" if row.score is None or row.kind == "delta" else f"{row.score:.1f}"
