"""The paper's benchmark table from results files, with published rows and deltas.

Columns are the paper's 13 (GQA … POPE), in its units: percent with one decimal, MME and OCRBench
as integer points. Each task fills the column named by its `paper_column`; where several tasks share
a column, the paper-protocol one wins and a variant (validation split, no-OCR prompt) fills it only
when the paper's has no value. Marks: `*` a subset of the data (--limit), `†` a server-scored split,
`‡` a variant standing in for the paper's protocol (or a run with --gen-kwargs), `¶` predictions that cover only part of the
data (score --allow-subset), `§` a number read from an unpinned source (a
dataset split or the checkpoint at a moving ref such as `main`, with no lock: docs/reproducibility.md).

With `uncertainty="se"` each run's value is followed by its standard error (`71.2 ± 0.6`), with
`"ci"` by its 95% interval (`71.2 [70.0, 72.4]`), as results.json records them (docs/statistics.md).

Runs of several models and published rows make one leaderboard, best first, by the rule of
eagle_eval/results/ranking.py (the mean over the columns every row has, each on a 0-100 scale); each run is
followed by its delta row when published rows are shown. `json` gives the same table with ranks,
scores, the rule, and each published row's source.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from tabulate import tabulate

from eagle_eval.core.units import unit_of_column
from eagle_eval.provenance.drift import record_is_pinned
from eagle_eval.results.document import RunResults, TaskResult
from eagle_eval.results.ranking import Ranking, rank_rows
from eagle_eval.results.reference import PAPER_COLUMNS, ReferenceRow

Format = Literal["markdown", "latex", "csv", "html", "json"]
FORMATS: tuple[str, ...] = ("markdown", "latex", "csv", "html", "json")
LEADERBOARD_SCHEMA = "eagle-eval.leaderboard/1"
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
# Each note is one full sentence: every format prints it whole, after its mark.
NOTES = {
    SUBSET_MARK: "subset of the data (--limit): not comparable with full-set numbers.",
    PARTIAL_MARK: "scored from predictions that cover only part of the data (--allow-subset): not comparable "
    "with full-set numbers.",
    SERVER_MARK: "server-scored split: empty until the evaluation server's score is recorded.",
    VARIANT_MARK: "not the paper's protocol (a local validation split, the prompt without OCR tokens, or decoding "
    "changed by --gen-kwargs): it fills the column because the paper's own protocol has no score in these results.",
    UNPINNED_MARK: "unpinned source: data or weights read at a moving revision (main) without a lock.",
}


@dataclass
class TableRow:
    label: str
    values: dict[str, float | None]
    marks: dict[str, str] = field(default_factory=dict)
    kind: Literal["run", "reference", "delta"] = "run"
    model: str = ""
    rank: int | None = None
    score: float | None = None
    source: str = ""  # a published row's source; a run's run id
    # Per column (standard error, interval low, interval high) in paper units, where results have them.
    errors: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    error_style: Uncertainty = "none"


def run_row(run: RunResults, label: str) -> TableRow:
    values: dict[str, float | None] = {column: None for column in PAPER_COLUMNS}
    marks: dict[str, str] = {}
    errors: dict[str, tuple[float, float, float]] = {}
    unpinned_model = run.model.pinned is False
    for column in PAPER_COLUMNS:
        result = _column_source(run, column)
        if result is None:
            continue
        values[column] = result.headline.value
        estimate = (result.uncertainty or {}).get("headline") or {}
        if result.headline.value is not None and None not in (estimate.get(k) for k in ("se", "ci_low", "ci_high")):
            errors[column] = (float(estimate["se"]), float(estimate["ci_low"]), float(estimate["ci_high"]))
        mark = (
            ((PARTIAL_MARK if _partial_predictions(result) else SUBSET_MARK) if result.subset else "")
            + (SERVER_MARK if result.server_scored else "")
            + (VARIANT_MARK if not result.paper_protocol else "")
            + (UNPINNED_MARK if unpinned_model or not all(record_is_pinned(s) for s in result.sources) else "")
        )
        if mark:
            marks[column] = mark
    return TableRow(
        label=label, values=values, marks=marks, kind="run", model=run.model.name, source=run.run_id, errors=errors
    )


def _partial_predictions(result: TaskResult) -> bool:
    """A subset because the predictions file left docs out (score --allow-subset), not --limit."""
    return (result.subset_reason or "").startswith("--allow-subset")


def _column_source(run: RunResults, column: str) -> TaskResult | None:
    """The result that fills a column: the paper-protocol task when it has a value, else a variant.

    A server-scored split (VQAv2 test-dev, VizWiz test) has no value until its score is recorded;
    its local validation variant then fills the column, marked, rather than leaving it blank.
    """
    candidates = [r for r in run.results.values() if r.paper_column == column]
    for wanted in (True, False):
        for result in candidates:
            if result.paper_protocol == wanted and result.headline.value is not None:
                return result
    return candidates[0] if candidates else None


def reference_row(reference: ReferenceRow) -> TableRow:
    return TableRow(label=reference.label, values=dict(reference.values), kind="reference", model=reference.model,
                    source=reference.source)


def delta_row(run: TableRow, reference: TableRow) -> TableRow:
    values: dict[str, float | None] = {}
    for column in PAPER_COLUMNS:
        new, old = run.values.get(column), reference.values.get(column)
        values[column] = None if new is None or old is None else _rounded(column, new) - _rounded(column, old)
    return TableRow(label=f"Δ {run.label} vs {reference.label}", values=values, kind="delta")


def rank_table_rows(rows: Sequence[TableRow]) -> tuple[list[TableRow], Ranking]:
    """Rows best first by the leaderboard rule, each given its rank and score."""
    ranking = rank_rows([row.values for row in rows], PAPER_COLUMNS)
    for row, rank, score in zip(rows, ranking.ranks, ranking.scores, strict=True):
        row.rank, row.score = rank, score
    return [rows[i] for i in ranking.order], ranking


def rank_runs(rows: Sequence[TableRow]) -> list[TableRow]:
    """Runs alone, best first (see rank_table_rows)."""
    return rank_table_rows(rows)[0]


def build_table(runs: Sequence[RunResults], references: Sequence[ReferenceRow] = ()) -> list[TableRow]:
    """Published rows and runs ranked together, each run followed by its delta row when references exist."""
    return build_leaderboard(runs, references)[0]


def build_leaderboard(runs: Sequence[RunResults],
                      references: Sequence[ReferenceRow] = ()) -> tuple[list[TableRow], Ranking]:
    labels = _run_labels(runs)
    run_rows = [run_row(run, label) for run, label in zip(runs, labels, strict=True)]
    ref_rows = [reference_row(ref) for ref in references]
    ranked, ranking = rank_table_rows([*ref_rows, *run_rows])
    rows: list[TableRow] = []
    for row in ranked:
        rows.append(row)
        if row.kind == "run" and ref_rows:
            rows.append(delta_row(row, _matching_reference(row, ref_rows)))
    return rows, ranking


def _matching_reference(row: TableRow, references: Sequence[TableRow]) -> TableRow:
    """The reference of the same model (eagle-x5-7b ↔ Eagle-X5-7B), else the first one given."""
    for reference in references:
        if reference.model.lower() == row.model.lower():
            return reference
    return references[0]


def _run_labels(runs: Sequence[RunResults]) -> list[str]:
    """The model and its variant (`eagle-x5-7b −SAM`); the run id is added only where labels repeat."""
    names = [run.display_name for run in runs]
    return [f"{name} ({run.run_id})" if names.count(name) > 1 else name for name, run in zip(names, runs, strict=True)]


# --- rendering ----------------------------------------------------------------------------------


def _rounded(column: str, value: float) -> float:
    return unit_of_column(column).rounded(value)


def format_value(column: str, value: float | None, signed: bool = False) -> str:
    return unit_of_column(column).format(value, signed=signed)


def _error_text(column: str, error: tuple[float, float, float] | None, style: Uncertainty) -> str:
    if error is None or style == "none":
        return ""
    se, low, high = error
    if style == "se":
        return f" ± {format_value(column, se)}"
    return f" [{format_value(column, low)}, {format_value(column, high)}]"


def _cells(row: TableRow, mark_style: Literal["text", "none"] = "text") -> list[str]:
    cells = []
    for column in PAPER_COLUMNS:
        text = format_value(column, row.values.get(column), signed=row.kind == "delta")
        text += _error_text(column, row.errors.get(column), row.error_style)
        if mark_style == "text":
            text += row.marks.get(column, "")
        cells.append(text)
    return cells


def _used_marks(rows: Sequence[TableRow]) -> list[str]:
    used = "".join(mark for row in rows for mark in row.marks.values())
    return [mark for mark in NOTES if mark in used]


def render_table(
    rows: Sequence[TableRow], fmt: str = "markdown", ranking: Ranking | None = None, uncertainty: Uncertainty = "none"
) -> str:
    """The table in `fmt`; with `ranking`, the notes (and json) state the rule and its columns; with
    `uncertainty` ("se" or "ci"), each run's values carry their error bars and a note says which."""
    if uncertainty not in UNCERTAINTY_STYLES:
        raise ValueError(f"unknown uncertainty style {uncertainty!r}; choose one of {', '.join(UNCERTAINTY_STYLES)}")
    rows = [replace(row, error_style=uncertainty) for row in rows]
    text = _render(rows, fmt, ranking)
    if uncertainty == "none" or not any(row.errors for row in rows) or fmt in ("csv", "json"):
        return text
    note = UNCERTAINTY_NOTES[uncertainty]
    if fmt == "latex":
        from eagle_eval.results.latex import latex_text

        return text + f"% {latex_text(note)}\n"
    return text + {"markdown": f"{note}\n", "html": f"<p>{html.escape(note)}</p>\n"}[fmt]


def _render(rows: Sequence[TableRow], fmt: str, ranking: Ranking | None) -> str:
    rule = [ranking.describe()] if ranking is not None and _model_rows(rows) > 1 else []
    if fmt == "markdown":
        return _render_markdown(rows, rule)
    if fmt == "latex":
        return _render_latex(rows, rule)
    if fmt == "html":
        return _render_html(rows, rule)
    if fmt == "csv":
        return _render_csv(rows)
    if fmt == "json":
        return _render_json(rows, ranking)
    raise ValueError(f"unknown table format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _model_rows(rows: Sequence[TableRow]) -> int:
    return sum(1 for row in rows if row.kind != "delta")


def _render_markdown(rows: Sequence[TableRow], rule: Sequence[str] = ()) -> str:
    body = [[row.label, *_cells(row)] for row in rows]
    text = tabulate(body, headers=["Model", *PAPER_COLUMNS], tablefmt="github", disable_numparse=True)
    notes = [*(f"Rows {line}." for line in rule), *(f"{mark} {NOTES[mark]}" for mark in _used_marks(rows))]
    return text + ("\n\n" + "\n".join(notes) if notes else "") + "\n"


def _render_latex(rows: Sequence[TableRow], rule: Sequence[str] = ()) -> str:
    from eagle_eval.results.latex import latex_marks, latex_note, latex_text

    body = [
        [latex_text(row.label),
         *(latex_text(cell) + latex_marks(row.marks.get(column, ""))
           for column, cell in zip(PAPER_COLUMNS, _cells(row, mark_style="none"), strict=True))]
        for row in rows
    ]
    text = tabulate(body, headers=["Model", *PAPER_COLUMNS], tablefmt="latex_raw", disable_numparse=True)
    notes = [*(f"% rows {latex_text(line)}." for line in rule), *(latex_note(mark, NOTES[mark]) for mark in _used_marks(rows))]
    return text + ("\n" + "\n".join(notes) if notes else "") + "\n"


def _render_html(rows: Sequence[TableRow], rule: Sequence[str] = ()) -> str:
    body = [[html.escape(row.label), *(html.escape(c) for c in _cells(row))] for row in rows]
    text = tabulate(body, headers=["Model", *PAPER_COLUMNS], tablefmt="unsafehtml", disable_numparse=True)
    notes = "".join(f"<p>Rows {html.escape(line)}.</p>\n" for line in rule)
    notes += "".join(f"<p>{html.escape(mark)} {html.escape(NOTES[mark])}</p>\n" for mark in _used_marks(rows))
    return text + "\n" + notes


def _render_csv(rows: Sequence[TableRow]) -> str:
    """Plain numbers for spreadsheets; marks move into the model label (`name [subset]`)."""
    import pandas

    records = []
    for row in rows:
        label = row.label
        kinds = "".join(row.marks.values())
        named = ((SUBSET_MARK, "subset"), (PARTIAL_MARK, "partial predictions"), (SERVER_MARK, "server-scored"),
                 (VARIANT_MARK, "variant split or prompt"), (UNPINNED_MARK, "unpinned source"))
        tags = [word for mark, word in named if mark in kinds]
        if tags:
            label += f" [{', '.join(tags)}]"
        values = {c: (None if row.values.get(c) is None else _rounded(c, row.values[c])) for c in PAPER_COLUMNS}  # type: ignore[arg-type]
        record = {"Model": label, **values}
        if row.error_style != "none":
            # Spreadsheets get the error bars as columns of their own, unrounded.
            for column in PAPER_COLUMNS:
                se, low, high = row.errors.get(column, (None, None, None))
                record |= {f"{column} se": se, f"{column} ci_low": low, f"{column} ci_high": high}
        records.append(record)
    with_errors = any(row.error_style != "none" for row in rows)
    extra = [f"{c} {k}" for c in PAPER_COLUMNS for k in ("se", "ci_low", "ci_high")] if with_errors else []
    frame = pandas.DataFrame.from_records(records, columns=["Model", *PAPER_COLUMNS, *extra])
    for column in PAPER_COLUMNS:
        if unit_of_column(column).decimals == 0:
            frame[column] = frame[column].astype("Int64")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def _render_json(rows: Sequence[TableRow], ranking: Ranking | None) -> str:
    """The leaderboard for programs: every row with its kind, rank, score, values (full precision),
    the cells as printed, marks and source; the rule, the ranking columns and the marks' meanings."""
    document = {
        "schema": LEADERBOARD_SCHEMA,
        "columns": list(PAPER_COLUMNS),
        "rule": ranking.describe() if ranking is not None else None,
        "ranking_columns": list(ranking.columns) if ranking is not None else [],
        "rows": [
            {
                "rank": row.rank, "score": None if row.score is None else round(row.score, 4),
                "label": row.label, "kind": row.kind, "model": row.model,
                "values": {c: row.values.get(c) for c in PAPER_COLUMNS},
                "printed": dict(zip(PAPER_COLUMNS, _cells(row), strict=True)),
                "marks": dict(row.marks), "source": row.source,
            }
            for row in rows
        ],
        "notes": {mark: NOTES[mark] for mark in _used_marks(rows)},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
