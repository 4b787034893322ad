"""Per-sample scores as arrays: what every statistic in this package reads.

A scores file (scores/<task>.jsonl, one line per scored sample) carries, besides the sample's
values, the shared unit it belongs to (`unit`: an image id, an MMBench question) and the few dataset
columns a headline needs (`fields`: POPE's ground truth, MME's category). That makes the file
enough on its own for standard errors, bootstraps and paired comparisons: no dataset, no model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eagle_eval.core import text_input

SampleKey = tuple[str, int]


class StatsInputError(ValueError):
    """Per-sample scores that cannot be used; the message names the file or the mismatch."""


@dataclass(frozen=True)
class SampleTable:
    """The scored samples of one task, in a fixed order, with their units coded 0..n_units-1."""

    keys: tuple[SampleKey, ...]
    unit_codes: np.ndarray
    unit_names: tuple[str, ...]
    values: Mapping[str, np.ndarray]
    parsed: tuple[Any, ...]
    fields: Mapping[str, tuple[Any, ...]]

    @property
    def n_samples(self) -> int:
        return len(self.keys)

    @property
    def n_units(self) -> int:
        return len(self.unit_names)

    def scores(self, key: str) -> np.ndarray:
        if key not in self.values:
            raise StatsInputError(
                f"per-sample scores have no value {key!r} (they have {', '.join(self.values)})"
            )
        return self.values[key]

    def field(self, name: str) -> tuple[Any, ...]:
        if name not in self.fields:
            raise StatsInputError(
                f"per-sample scores lack the column {name!r}; re-score the run with this eagle-eval"
            )
        return self.fields[name]

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> SampleTable:
        import pandas

        keys = tuple((str(row["split"]), int(row["doc_id"])) for row in rows)
        units = [
            str(row.get("unit") or f"{split}/{doc_id}")
            for row, (split, doc_id) in zip(rows, keys, strict=True)
        ]
        # pandas' hash table factorizes 200k unit names far faster than sorting them with np.unique.
        codes, names = pandas.factorize(pandas.Series(units, dtype=object), sort=True)
        value_keys: set[str] = set()
        for row in rows:
            value_keys.update(row["values"])
        values = {}
        for key in sorted(value_keys):
            column = [row["values"].get(key) for row in rows]
            if any(isinstance(value, int | float) for value in column):  # text or lists (answers) are no score
                values[key] = np.array([v if isinstance(v, int | float) else np.nan for v in column], dtype=float)
        field_names = sorted({name for row in rows for name in (row.get("fields") or {})})
        fields = {name: tuple((row.get("fields") or {}).get(name) for row in rows) for name in field_names}
        return cls(
            keys=keys,
            unit_codes=np.asarray(codes, dtype=np.int64),
            unit_names=tuple(str(name) for name in names),
            values=values,
            parsed=tuple(row.get("parsed") for row in rows),
            fields=fields,
        )

    def reordered(self, order: Sequence[SampleKey]) -> SampleTable:
        """The same samples in `order` (which must hold exactly this table's keys)."""
        position = {key: i for i, key in enumerate(self.keys)}
        index = np.array([position[key] for key in order], dtype=np.int64)
        return SampleTable(
            keys=tuple(order),
            unit_codes=self.unit_codes[index],
            unit_names=self.unit_names,
            values={key: array[index] for key, array in self.values.items()},
            parsed=tuple(self.parsed[i] for i in index),
            fields={name: tuple(column[i] for i in index) for name, column in self.fields.items()},
        )


def read_score_rows(path: Path) -> list[dict[str, Any]]:
    """Every line of a scores file; a missing or malformed file raises StatsInputError naming it."""
    if not path.is_file():
        raise StatsInputError(f"per-sample scores not found: {path}")
    rows = []
    for line_no, row in text_input.json_lines(path, StatsInputError, "re-score the run"):
        try:
            row["split"], row["doc_id"], row["values"]  # noqa: B018 (presence check)
        except (KeyError, TypeError, IndexError) as err:
            raise StatsInputError(f"{path}:{line_no}: not a scores line ({err!r} missing); re-score the run") from err
        rows.append(row)
    return rows


def paired_tables(
    baseline: SampleTable, new: SampleTable, where: str = ""
) -> tuple[SampleTable, SampleTable]:
    """Both tables over the same samples in the baseline's order; refuses differing doc ids or units.

    A paired comparison is only meaningful sample by sample: runs over different docs (another
    --limit, another split) or whose samples sit in different units (another dataset) are refused.
    """
    prefix = f"{where}: " if where else ""
    old_keys, new_keys = set(baseline.keys), set(new.keys)
    if old_keys != new_keys:
        only_old = sorted(old_keys - new_keys)
        only_new = sorted(new_keys - old_keys)
        examples = ", ".join(f"{s}/{d}" for s, d in (only_old + only_new)[:3])
        raise StatsInputError(
            f"{prefix}the runs scored different samples ({len(only_old)} only in the baseline, "
            f"{len(only_new)} only in the new run, e.g. {examples}); compare runs over the same doc ids"
        )
    aligned = new.reordered(baseline.keys)
    old_units = np.asarray(baseline.unit_names, dtype=object)[baseline.unit_codes]
    new_units = np.asarray(aligned.unit_names, dtype=object)[aligned.unit_codes]
    mismatched = np.flatnonzero(old_units != new_units)
    if mismatched.size:
        split, doc_id = baseline.keys[int(mismatched[0])]
        raise StatsInputError(
            f"{prefix}sample {split}/{doc_id} belongs to unit {old_units[mismatched[0]]!r} in the baseline but "
            f"{new_units[mismatched[0]]!r} in the new run: the runs read different data"
        )
    # Both share the baseline's unit coding from here on.
    aligned = SampleTable(
        keys=aligned.keys,
        unit_codes=baseline.unit_codes,
        unit_names=baseline.unit_names,
        values=aligned.values,
        parsed=aligned.parsed,
        fields=aligned.fields,
    )
    return baseline, aligned


def unit_sizes(table: SampleTable) -> np.ndarray:
    return np.bincount(table.unit_codes, minlength=table.n_units)
