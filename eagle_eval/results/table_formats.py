"""The leaderboard in markdown, LaTeX, CSV, HTML and JSON, alike: rank, label, score, every cell with
its marks, the published rows with their sources, and one footnote per mark, the ranking rule, the
rows left out of the ranking and why.

The rank is printed as `2 [1, 3]` where a bootstrap gave it an interval (eagle_eval/results/rank_intervals.py)
and `(3)` for a published row, placed by its printed value. LaTeX is booktabs with right-aligned
numbers and `$-$` for a minus; CSV has one row per row of the board with a `kind` column (model,
published, delta) and each column's marks in a column of their own; HTML is a standalone page
(eagle_eval/results/table_html.py).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from eagle_eval.core.units import unit_of_column
from eagle_eval.results.latex import latex_marks, latex_note, latex_text
from eagle_eval.results.rank_intervals import RESAMPLES
from eagle_eval.results.ranking import Ranking
from eagle_eval.results.table_rows import (
    HEADERS,
    NOTES,
    UNCERTAINTY_NOTES,
    UNCERTAINTY_STYLES,
    TableRow,
    Uncertainty,
    cell_marks,
    cell_number,
    cells,
    columns_of,
    rank_text,
    rounded,
    score_text,
    used_marks,
)

Format = Literal["markdown", "latex", "csv", "html", "json"]
FORMATS: tuple[str, ...] = ("markdown", "latex", "csv", "html", "json")
LEADERBOARD_SCHEMA = "eagle-eval.leaderboard/2"
KINDS = {"run": "model", "reference": "published", "delta": "delta"}
INTERVAL_NOTE = (f"[a, b] is the 95% interval of a run's rank, from a paired bootstrap ({RESAMPLES} resamples) over "
                 "the samples the ranked runs share; rows whose order is not significant share a rank.")
PUBLISHED_NOTE = "(n) a published row: placed by its printed value, since it has no samples to resample."
def notes(rows: Sequence[TableRow], ranking: Ranking | None) -> list[str]:
    """Every footnote of the board, each a whole sentence: the rule, the rows left out, then one per mark used."""
    lines: list[str] = []
    if ranking is not None and sum(1 for row in rows if row.kind != "delta") > 1:
        lines.append(f"Rows {ranking.describe()}.")
        left = [f"{row.label} ({row.left_out})" for row in rows if row.kind != "delta" and row.left_out]
        if left and ranking.ranked:
            lines.append(f"Not ranked: {'; '.join(left)}.")
    if any("[" in rank_text(row) for row in rows):
        lines.append(INTERVAL_NOTE)
    if any(row.kind == "reference" and row.rank is not None for row in rows):
        lines.append(PUBLISHED_NOTE)
    return lines


def mark_notes(rows: Sequence[TableRow]) -> list[tuple[str, str]]:
    return [(mark, NOTES[mark]) for mark in used_marks(rows, columns_of(rows))]


def render_table(
    rows: Sequence[TableRow], fmt: str = "markdown", ranking: Ranking | None = None, uncertainty: Uncertainty = "none"
) -> str:
    """The board in `fmt`; with `ranking`, the notes (and json) state the rule and its columns; with
    `uncertainty` ("se" or "ci"), each run's values carry their error bars and a note says which."""
    if uncertainty not in UNCERTAINTY_STYLES:
        raise ValueError(f"unknown uncertainty style {uncertainty!r}; choose one of {', '.join(UNCERTAINTY_STYLES)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; choose one of {', '.join(FORMATS)}")
    rows = [replace(row, error_style=uncertainty) for row in rows]
    error_note = UNCERTAINTY_NOTES[uncertainty] if uncertainty != "none" and any(row.errors for row in rows) else None
    if fmt == "html":
        from eagle_eval.results.table_html import render_html

        return render_html(rows, [*notes(rows, ranking), *([error_note] if error_note else [])], mark_notes(rows))
    renderer = {"markdown": _render_markdown, "latex": _render_latex, "csv": _render_csv, "json": _render_json}[fmt]
    return renderer(rows, ranking, error_note)


def _render_markdown(rows: Sequence[TableRow], ranking: Ranking | None, error_note: str | None) -> str:
    from tabulate import tabulate

    columns = columns_of(rows)
    body = [[rank_text(row), row.label, score_text(row), *cells(row, columns)] for row in rows]
    text = tabulate(body, headers=[*HEADERS, *columns], tablefmt="github", disable_numparse=True,
                    colalign=("right", "left", "right", *("right" for _ in columns)))
    lines = _text_notes(rows, ranking, error_note)
    return text + ("\n\n" + "\n".join(lines) if lines else "") + "\n"


def _text_notes(rows: Sequence[TableRow], ranking: Ranking | None, error_note: str | None) -> list[str]:
    lines = [*notes(rows, ranking), *(f"{mark} {note}" for mark, note in mark_notes(rows))]
    lines += [error_note] if error_note else []
    return lines + [f"{row.label}: {row.source}." for row in rows if row.kind == "reference"]


def render_for_terminal(rows: Sequence[TableRow], ranking: Ranking | None, uncertainty: Uncertainty,
                        width: int) -> str:
    """The board fitted to a terminal `width` wide (eagle_eval/results/table_terminal.py), with every note."""
    from eagle_eval.results.table_terminal import render_terminal

    rows = [replace(row, error_style=uncertainty) for row in rows]
    error_note = UNCERTAINTY_NOTES[uncertainty] if uncertainty != "none" and any(row.errors for row in rows) else None
    return render_terminal(rows, _text_notes(rows, ranking, error_note), width)


def _latex_number(text: str) -> str:
    """A number as LaTeX: a minus as `$-$`, as a paper's table prints it."""
    return "$-$" + latex_text(text[1:]) if text.startswith("-") else latex_text(text)


def _render_latex(rows: Sequence[TableRow], ranking: Ranking | None, error_note: str | None) -> str:
    columns = columns_of(rows)
    lines = [r"\begin{tabular}{rlr" + "r" * len(columns) + "}", r"\toprule",
             " & ".join(latex_text(h) for h in (*HEADERS, *columns)) + r" \\", r"\midrule"]
    for row in rows:
        numbers = [_latex_number(cell_number(row, c)) + latex_marks(cell_marks(row, c)) for c in columns]
        lines.append(" & ".join([latex_text(rank_text(row)), latex_text(row.label), latex_text(score_text(row)),
                                 *numbers]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    footer = [f"% {latex_text(line[0].lower() + line[1:]) if line.startswith('Rows') else latex_text(line)}"
              for line in notes(rows, ranking)]
    footer += [latex_note(mark, note) for mark, note in mark_notes(rows)]
    footer += [f"% {latex_text(error_note)}"] if error_note else []
    footer += [f"% {latex_text(row.label)}: {latex_text(row.source)}." for row in rows if row.kind == "reference"]
    return "\n".join([*lines, *footer]) + "\n"


def _render_csv(rows: Sequence[TableRow], ranking: Ranking | None, error_note: str | None) -> str:
    """Plain numbers for spreadsheets: one row per board row, `kind`, and each column's marks in `<column> marks`."""
    import pandas

    columns = columns_of(rows)
    marked = [c for c in columns if any(cell_marks(row, c) for row in rows)]
    with_errors = any(row.error_style != "none" for row in rows)
    records = [_csv_record(row, columns, marked, with_errors) for row in rows]
    extra = [f"{c} {k}" for c in columns for k in ("se", "ci_low", "ci_high")] if with_errors else []
    head = ["kind", "rank", "rank_low", "rank_high", "Model", "score", "left_out", "source"]
    frame = pandas.DataFrame.from_records(records, columns=[*head, *columns, *(f"{c} marks" for c in marked), *extra])
    for column in ("rank", "rank_low", "rank_high", *(c for c in columns if unit_of_column(c).decimals == 0)):
        frame[column] = frame[column].astype("Int64")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def _csv_record(row: TableRow, columns: Sequence[str], marked: Sequence[str], with_errors: bool) -> dict:
    low, high = row.rank_interval or (None, None)
    record = {"kind": KINDS[row.kind], "rank": row.rank, "rank_low": low, "rank_high": high, "Model": row.label,
              "score": None if row.score is None or row.kind == "delta" else round(row.score, 4),
              "left_out": row.left_out or "", "source": row.source}
    record |= {c: None if row.values.get(c) is None else rounded(c, row.values[c]) for c in columns}  # type: ignore[arg-type]
    record |= {f"{c} marks": cell_marks(row, c) for c in marked}
    if with_errors:  # the error bars as columns of their own, unrounded
        for column in columns:
            se, ci_low, ci_high = row.errors.get(column, (None, None, None))
            record |= {f"{column} se": se, f"{column} ci_low": ci_low, f"{column} ci_high": ci_high}
    return record


def _render_json(rows: Sequence[TableRow], ranking: Ranking | None, error_note: str | None) -> str:
    """The board for programs: every row with its kind, rank (and interval), score, values (full
    precision), the cells as printed, marks and source; the rule, the ranking columns and the notes."""
    columns = columns_of(rows)
    document = {
        "schema": LEADERBOARD_SCHEMA,
        "columns": columns,
        "rule": ranking.describe() if ranking is not None else None,
        "ranking_columns": list(ranking.columns) if ranking is not None else [],
        "rows": [_json_row(row, columns) for row in rows],
        "notes": {mark: note for mark, note in mark_notes(rows)},
        "remarks": [*notes(rows, ranking), *([error_note] if error_note else [])],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _json_row(row: TableRow, columns: Sequence[str]) -> dict:
    return {
        "rank": row.rank, "rank_interval": list(row.rank_interval) if row.rank_interval else None,
        "rank_printed": rank_text(row), "score": None if row.score is None else round(row.score, 4),
        "label": row.label, "kind": row.kind, "model": row.model,
        "values": {c: row.values.get(c) for c in columns},
        "printed": dict(zip(columns, cells(row, columns), strict=True)),
        "marks": {c: cell_marks(row, c) for c in columns if cell_marks(row, c)},
        "failed": dict(row.failed), "left_out": row.left_out, "source": row.source, "paths": list(row.paths),
    }
