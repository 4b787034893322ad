"""Published numbers, shipped as package data (copies under results/reference/).

Two CSVs with the same columns, one row per model as printed, in paper units (percent with one
decimal, MME perception points, OCRBench out of 1000), each row naming its source:
- eagle_readme_tables.csv: the tables of the NVlabs/EAGLE README (`table` = the README's table);
- comparison_models.csv: the comparison models' own published numbers (LLaVA-1.5, LLaVA-NeXT),
  for the models that have an `hf` preset (`table` empty: not printed in the README).
Some names appear in several rows (one per LLM); such rows are labelled `name (llm)`.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
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
REFERENCE_CSVS: tuple[str, ...] = (REFERENCE_CSV, "comparison_models.csv")


@dataclass(frozen=True)
class ReferenceRow:
    table: int | None  # the NVlabs/EAGLE README table that prints the row; None for other sources
    model: str
    llm: str
    data: str
    values: dict[str, float | None]
    source: str
    label: str = ""


def reference_csv_text(name: str = REFERENCE_CSV) -> str:
    return (files("eagle_eval.results") / "published" / name).read_text(encoding="utf-8")


def load_reference_rows() -> list[ReferenceRow]:
    raw = [row for name in REFERENCE_CSVS for row in csv.DictReader(io.StringIO(reference_csv_text(name)))]
    counts: dict[str, int] = {}
    for row in raw:
        counts[row["model"].lower()] = counts.get(row["model"].lower(), 0) + 1
    rows = []
    for row in raw:
        model = row["model"]
        label = model if counts[model.lower()] == 1 else f"{model} ({row['llm']})"
        values = {column: float(row[column]) if row.get(column) else None for column in PAPER_COLUMNS}
        rows.append(
            ReferenceRow(
                table=int(row["table"]) if row["table"] else None,
                model=model,
                llm=row["llm"],
                data=row["data"],
                values=values,
                source=row["source"],
                label=label,
            )
        )
    return rows


def select_references(spec: str) -> list[ReferenceRow]:
    """Rows for `all`, or for comma-separated names matched case-insensitively on the model column.

    Preset names match too: `eagle-x5-7b` is the README's `Eagle-X5-7B`. A name shared by several
    rows (`LLaVA-NeXT`) selects all of them; `name (llm)` selects one.
    """
    rows = load_reference_rows()
    if spec.strip().lower() == "all":
        return rows
    selected: list[ReferenceRow] = []
    for name in (n.strip() for n in spec.split(",")):
        if not name:
            continue
        wanted = name.lower()
        hits = [r for r in rows if r.label.lower() == wanted] or [r for r in rows if r.model.lower() == wanted]
        if not hits:
            choices = sorted({r.model for r in rows} | {r.label for r in rows})
            close = difflib.get_close_matches(name, choices, n=3, cutoff=0.4)
            close = close or difflib.get_close_matches(wanted, [c.lower() for c in choices], n=3, cutoff=0.4)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise UnknownNameError(f"unknown reference '{name}'.{hint} (use a model name of the README tables, or all)")
        selected.extend(hit for hit in hits if hit not in selected)
    return selected
