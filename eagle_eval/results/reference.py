"""Published numbers, shipped as package data (copies under results/reference/).

Three CSVs, one row per published result, in paper units (percent with one decimal, MME perception
points, OCRBench out of 1000):
- eagle_readme_tables.csv: the tables of the NVlabs/EAGLE README (`table` = the README's table);
- comparison_models.csv: the comparison models' own published numbers (LLaVA-1.5, LLaVA-NeXT),
  for the models that have an `hf` preset (`table` empty: not printed in the README);
- eagle2_readme_tables.csv: Eagle 2 and Eagle 2.5 as NVIDIA's READMEs print them (`table` empty).

Besides the numbers, each row says who it is and where it comes from: `model` (the name as the
source prints it), `label` (the name tables show; unique), `checkpoint` (the hub id of the weights
reported, empty where the sources name none), `llm` (the base model, named as its checkpoint is)
and `llm_as_printed`, `data` (the training data the source names, empty where it names none),
`reported_by` (who measured and published the numbers), `source` (the citation, pinned) and `note`.
One checkpoint can have several rows, one per report (LLaVA's own and Cambrian-1's, say): the rows
share `checkpoint` and differ in `reported_by`.

Optional columns, empty where they do not apply: `source_commit` and `source_path` (the full commit
and the file the numbers were read from), and `not_comparable`, the cells the source published for
another split or metric than our column's, as `COLUMN: what the source measured` separated by `; `
(`MME: MME sum (perception + cognition); MMBench: MMBench v1.1 test`). Such a cell keeps the
source's number in `values` (it is what the source prints) but is never ranked or compared with a
run: `comparable_value` gives None for it, and tables mark it.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from importlib.resources import files

from eagle_eval.api.registry import UnknownNameError

PAPER_COLUMNS: tuple[str, ...] = (
    "GQA",
    "VQAv2",
    "VizWiz",
    "TextVQA",
    "ChartQA",
    "OCRBench",
    "MME",
    "MMBench",
    "SEED",
    "MathVista",
    "MMMU",
    "SQA",
    "POPE",
)
REFERENCE_CSV = "eagle_readme_tables.csv"
REFERENCE_CSVS: tuple[str, ...] = (REFERENCE_CSV, "comparison_models.csv", "eagle2_readme_tables.csv")


@dataclass(frozen=True)
class ReferenceRow:
    table: int | None  # the NVlabs/EAGLE README table that prints the row; None for other sources
    model: str
    llm: str
    data: str
    values: dict[str, float | None]
    source: str
    label: str = ""
    checkpoint: str = ""  # the hub id of the weights the numbers are of; "" where the sources name none
    llm_as_printed: str = ""  # the base model as the source prints it (`llm` names it as its checkpoint does)
    reported_by: str = ""  # who measured and published the numbers
    note: str = ""  # what a reader of the row needs to know: another report of the same checkpoint, a split
    source_commit: str = ""  # the full commit of the file the numbers were read from; "" where not recorded
    source_path: str = ""  # that file's path in its repository
    # Per column, what the source measured where it is another split or metric than our column's.
    not_comparable: dict[str, str] = field(default_factory=dict)

    def comparable_value(self, column: str) -> float | None:
        """The published value where it measures what our column measures, else None (never compare it)."""
        return None if column in self.not_comparable else self.values.get(column)

    @property
    def footnote(self) -> str:
        """The citation and the note as one sentence, for the line a table prints under the row."""
        return f"{self.source}; {self.note}" if self.note else self.source

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other names that select the row: `model (llm)`, and `model (llm as printed)`."""
        return tuple(f"{self.model} ({llm})" for llm in (self.llm, self.llm_as_printed) if llm)


def reference_csv_text(name: str = REFERENCE_CSV) -> str:
    return (files("eagle_eval.results") / "published" / name).read_text(encoding="utf-8")


def load_reference_rows() -> list[ReferenceRow]:
    raw = [row for name in REFERENCE_CSVS for row in csv.DictReader(io.StringIO(reference_csv_text(name)))]
    counts: dict[str, int] = {}
    for row in raw:
        counts[row["model"].lower()] = counts.get(row["model"].lower(), 0) + 1
    rows = [_reference_row(row, counts[row["model"].lower()] > 1) for row in raw]
    labels = [row.label.lower() for row in rows]
    repeated = sorted({row.label for row in rows if labels.count(row.label.lower()) > 1})
    if repeated:
        raise ValueError(f"published rows share a label: {', '.join(repeated)}")
    return rows


def _reference_row(row: dict[str, str], repeated_model: bool) -> ReferenceRow:
    """One CSV row; without a `label` column, the model's name (with its LLM where the name repeats)."""
    model = row["model"]
    label = row.get("label") or (f"{model} ({row['llm']})" if repeated_model else model)
    return ReferenceRow(
        table=int(row["table"]) if row["table"] else None,
        model=model,
        llm=row["llm"],
        data=row["data"],
        values={column: float(row[column]) if row.get(column) else None for column in PAPER_COLUMNS},
        source=row["source"],
        label=label,
        checkpoint=row.get("checkpoint") or "",
        llm_as_printed=row.get("llm_as_printed") or "",
        reported_by=row.get("reported_by") or "",
        note=row.get("note") or "",
        source_commit=row.get("source_commit") or "",
        source_path=row.get("source_path") or "",
        not_comparable=_not_comparable(row.get("not_comparable") or "", label),
    )


def _not_comparable(text: str, label: str) -> dict[str, str]:
    """`MME: MME sum; MMBench: v1.1 test` as {column: what the source measured}; a column must be ours."""
    cells: dict[str, str] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        column, _, measured = part.partition(":")
        if column.strip() not in PAPER_COLUMNS or not measured.strip():
            raise ValueError(f"published row {label!r}: not_comparable entry {part!r} is not 'COLUMN: what was measured'")
        cells[column.strip()] = measured.strip()
    return cells


def same_checkpoint(row: ReferenceRow, rows: list[ReferenceRow]) -> list[ReferenceRow]:
    """The other published results of the row's checkpoint (other reports of the same weights)."""
    if not row.checkpoint:
        return []
    return [other for other in rows if other is not row and other.checkpoint.lower() == row.checkpoint.lower()]


def select_references(spec: str) -> list[ReferenceRow]:
    """Rows for `all`, or for comma-separated names matched case-insensitively on the model column.

    Preset names match too: `eagle-x5-7b` is the README's `Eagle-X5-7B`. A name shared by several
    rows (`LLaVA-NeXT`) selects all of them; `name (llm)` selects one (the LLM as its checkpoint
    names it or as the source prints it: `LLaVA-NeXT (Yi-34B)`); a checkpoint's hub id
    (`liuhaotian/llava-v1.6-34b`) selects every published report of it.
    """
    rows = load_reference_rows()
    if spec.strip().lower() == "all":
        return rows
    selected: list[ReferenceRow] = []
    for name in (n.strip() for n in spec.split(",")):
        if not name:
            continue
        wanted = name.lower()
        hits = _named(rows, wanted)
        if not hits:
            choices = sorted({r.model for r in rows} | {r.label for r in rows})
            close = difflib.get_close_matches(name, choices, n=3, cutoff=0.4)
            close = close or difflib.get_close_matches(wanted, [c.lower() for c in choices], n=3, cutoff=0.4)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise UnknownNameError(f"unknown reference '{name}'.{hint} (use a model name of the README tables, or all)")
        selected.extend(hit for hit in hits if hit not in selected)
    return selected


def _named(rows: list[ReferenceRow], wanted: str) -> list[ReferenceRow]:
    """Rows whose label, else alias, else model name, else checkpoint is `wanted` (lower case)."""
    for key in (
        lambda r: [r.label],
        lambda r: list(r.aliases),
        lambda r: [r.model],
        lambda r: [r.checkpoint] if r.checkpoint else [],
    ):
        hits = [r for r in rows if wanted in (name.lower() for name in key(r))]
        if hits:
            return hits
    return []
