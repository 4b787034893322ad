"""`eagle-eval table --ablation`: per model and task, the full model, each knock-out, blind, and the gain.

Runs are grouped by model name; within a model, each run is the full model (no `variant`), a knock-out
(`−SAM`) or blind, read from results.json's `variant`. Several runs of the same variant merge task by
task (the newest result of a task wins), so tasks run separately fill one row each. A knock-out cell
holds the score and its difference from the full model (`69.1 (−2.1)`); `gain` is full − blind, the
multimodal gain: how much of the score needs the image (MMStar's check for questions answerable
without looking). Marks: `*` some result is on a subset (--limit); `≠` a variant scored another
number of samples than the full model, so the two are not a paired comparison.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from tabulate import tabulate

from eagle_eval.ablation.spec import BLIND_LABEL
from eagle_eval.core.units import unit_of
from eagle_eval.results.document import RunResults, TaskResult
from eagle_eval.results.reference import PAPER_COLUMNS

FULL = "full"
GAIN = "gain (full − blind)"
SUBSET_MARK = "*"
UNPAIRED_MARK = "≠"
NOTES = {
    SUBSET_MARK: "a subset of the data (--limit).",
    UNPAIRED_MARK: "scored on another number of samples than the full model: not a paired difference.",
}


@dataclass
class AblationRow:
    model: str
    task: str
    units: str
    values: dict[str, float | None]  # variant label (FULL, "−SAM", …, "blind") -> headline
    marks: dict[str, str] = field(default_factory=dict)

    @property
    def gain(self) -> float | None:
        """full − blind, on the values as the table prints them."""
        full, blind = self.values.get(FULL), self.values.get(BLIND_LABEL)
        if full is None or blind is None:
            return None
        unit = unit_of(self.units)
        return unit.rounded(unit.rounded(full) - unit.rounded(blind))


@dataclass
class AblationTable:
    variants: list[str]  # column order: FULL, knock-outs in the model's expert order, blind
    rows: list[AblationRow]


def _variant_of(run: RunResults) -> tuple[str, tuple[int, ...]]:
    """(label, sort key): the full model first, single-expert knock-outs in tower order, then combinations, blind last."""
    variant = run.variant
    if variant is None:
        return FULL, (0,)
    if variant.blind:
        return BLIND_LABEL, (3,)
    indexes = tuple(int(k.get("index", 99)) for k in variant.knocked_out)
    return variant.label, (1 if len(indexes) == 1 else 2, len(indexes), *indexes)


def _task_order(result: TaskResult) -> tuple[int, str]:
    column = result.paper_column
    return (PAPER_COLUMNS.index(column) if column in PAPER_COLUMNS else len(PAPER_COLUMNS), result.task)


def build_ablation_table(runs: Sequence[RunResults]) -> AblationTable:
    order: dict[str, tuple[int, ...]] = {}
    # model -> task -> variant -> (created_at, result)
    cells: dict[str, dict[str, dict[str, tuple[str, TaskResult]]]] = {}
    for run in runs:
        label, key = _variant_of(run)
        order[label] = min(order.get(label, key), key)
        for name, result in run.results.items():
            slot = cells.setdefault(run.model.name, {}).setdefault(name, {})
            if label not in slot or run.created_at >= slot[label][0]:
                slot[label] = (run.created_at, result)
    variants = sorted(order, key=lambda label: (order[label], label))
    if FULL not in variants:
        variants.insert(0, FULL)
    rows = []
    for model in sorted(cells):
        tasks = sorted(cells[model].values(), key=lambda slot: _task_order(next(iter(slot.values()))[1]))
        for slot in tasks:
            results = {label: result for label, (_, result) in slot.items()}
            first = next(iter(results.values()))
            full = results.get(FULL)
            marks = {}
            for label, result in results.items():
                mark = SUBSET_MARK if result.subset else ""
                if full is not None and label != FULL and result.n_samples != full.n_samples:
                    mark += UNPAIRED_MARK
                if mark:
                    marks[label] = mark
            rows.append(AblationRow(model=model, task=first.task, units=first.headline.units,
                                    values={label: r.headline.value for label, r in results.items()}, marks=marks))
    return AblationTable(variants=variants, rows=rows)


# --- rendering ----------------------------------------------------------------------------------


def _headers(table: AblationTable) -> list[str]:
    return ["Model", "Task", *table.variants, GAIN]


def _cell(row: AblationRow, label: str, marks: bool = True) -> str:
    unit = unit_of(row.units)
    text = unit.format(row.values.get(label))
    delta = _difference(row, label) if label not in (FULL, BLIND_LABEL) else None
    if delta is not None:
        text += f" ({unit.format(delta, signed=True).replace('-', '−')})"
    return text + (row.marks.get(label, "") if marks else "")


def _body(table: AblationTable, marks: bool = True) -> list[list[str]]:
    return [[row.model, row.task, *(_cell(row, label, marks) for label in table.variants),
             unit_of(row.units).format(row.gain, signed=True).replace("-", "−")] for row in table.rows]


def _used_notes(table: AblationTable) -> list[str]:
    used = "".join(mark for row in table.rows for mark in row.marks.values())
    return [f"{mark} {NOTES[mark]}" for mark in NOTES if mark in used]


def render_ablation_table(table: AblationTable, fmt: str = "markdown") -> str:
    if fmt == "csv":
        return _render_csv(table)
    if fmt == "json":
        return _render_json(table)
    notes = _used_notes(table)
    if fmt == "markdown":
        text = tabulate(_body(table), headers=_headers(table), tablefmt="github", disable_numparse=True)
        return text + ("\n\n" + "\n".join(notes) if notes else "") + "\n"
    if fmt == "latex":
        from eagle_eval.results.latex import latex_marks, latex_note, latex_text

        body = [[latex_text(cell) for cell in row] for row in _body(table, marks=False)]
        for line, row in zip(body, table.rows, strict=True):
            for index, label in enumerate(table.variants, start=2):
                line[index] += latex_marks(row.marks.get(label, ""))
        headers = [latex_text(h) for h in _headers(table)]
        text = tabulate(body, headers=headers, tablefmt="latex_raw", disable_numparse=True)
        used = "".join(mark for row in table.rows for mark in row.marks.values())
        return text + "".join(f"\n{latex_note(mark, note)}" for mark, note in NOTES.items() if mark in used) + "\n"
    if fmt == "html":
        body = [[html.escape(cell) for cell in row] for row in _body(table)]
        text = tabulate(body, headers=[html.escape(h) for h in _headers(table)], tablefmt="unsafehtml",
                        disable_numparse=True)
        return text + "\n" + "".join(f"<p>{html.escape(note)}</p>\n" for note in notes)
    raise ValueError(f"unknown table format {fmt!r}; choose one of markdown, latex, csv, html, json")


def _difference(row: AblationRow, label: str) -> float | None:
    """A knock-out's score minus the full model's, on the printed values."""
    unit = unit_of(row.units)
    value, full = row.values.get(label), row.values.get(FULL)
    return None if value is None or full is None else unit.rounded(unit.rounded(value) - unit.rounded(full))


def _render_json(table: AblationTable) -> str:
    """Unrounded scores, the printed differences and gain, and the notes."""
    knockouts = [label for label in table.variants if label not in (FULL, BLIND_LABEL)]
    rows = [{"model": row.model, "task": row.task, "units": row.units,
             "values": {label: row.values.get(label) for label in table.variants},
             "difference_from_full": {label: _difference(row, label) for label in knockouts},
             "gain": row.gain, "marks": row.marks} for row in table.rows]
    document = {"variants": table.variants, "rows": rows, "notes": _used_notes(table)}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _render_csv(table: AblationTable) -> str:
    """Plain numbers at the paper's precision: each knock-out's score and its difference from full."""
    import pandas

    columns = ["model", "task", "units"]
    for label in table.variants:
        columns.append(label)
        if label not in (FULL, BLIND_LABEL):
            columns.append(f"{label} Δ")
    columns += ["gain", "marks"]
    records = []
    for row in table.rows:
        unit = unit_of(row.units)
        record: dict[str, object] = {"model": row.model, "task": row.task, "units": row.units}
        for label in table.variants:
            value = row.values.get(label)
            record[label] = None if value is None else unit.rounded(value)
            if label not in (FULL, BLIND_LABEL):
                record[f"{label} Δ"] = _difference(row, label)
        record["gain"] = row.gain
        record["marks"] = " ".join(f"{label}{mark}" for label, mark in row.marks.items())
        records.append(record)
    buffer = io.StringIO()
    pandas.DataFrame.from_records(records, columns=columns).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()
