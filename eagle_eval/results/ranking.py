"""The leaderboard's ranking rule, in one place (docs/leaderboard.md).

Rows (runs and published rows alike) are ranked by their **mean column score** over the
**ranking columns**: the paper columns that every ranked row has a value for. Each value is taken
as the table prints it (one decimal for percent, whole MME and OCRBench points) and put on a 0-100
scale (percent as is, MME out of 2000, OCRBench out of 1000), so every column weighs the same.
Higher is better; equal scores share a rank (1, 2, 2, 4) and keep their input order (published rows
before runs). Averaging only shared columns keeps a row from rising or sinking on a benchmark the
others were not run on. With no column shared by every row there is no ranking: the rows keep
their order, unranked, and the table says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from eagle_eval.core.units import unit_of_column

RULE = ("ranked by the mean over the columns every ranked row has, each as printed on a 0-100 scale "
        "(MME/20, OCRBench/10); equal scores share a rank")


@dataclass(frozen=True)
class Ranking:
    columns: tuple[str, ...]  # the ranking columns; empty when no column is shared by every row
    order: tuple[int, ...]  # row indices, best first (the input order when unranked)
    ranks: tuple[int | None, ...]  # per input row; None when unranked
    scores: tuple[float | None, ...]  # per input row, the mean column score

    @property
    def ranked(self) -> bool:
        return bool(self.columns)

    def describe(self) -> str:
        if not self.ranked:
            return "not ranked: no column has a value in every row"
        return f"{RULE}; ranking columns: {', '.join(self.columns)}"


def column_score(column: str, value: float) -> float:
    """A printed value on a 0-100 scale, larger is better (eagle_eval/core/units.py)."""
    unit = unit_of_column(column)
    return unit.rank_score(unit.rounded(value))


def rank_rows(rows: Sequence[Mapping[str, float | None]], columns: Sequence[str]) -> Ranking:
    """Rank rows of {column: value} over the `columns` (in order) every row has a value for."""
    shared = tuple(c for c in columns if rows and all(row.get(c) is not None for row in rows))
    if not shared:
        return Ranking((), tuple(range(len(rows))), (None,) * len(rows), (None,) * len(rows))
    # Every row has a value in every shared column.
    scores = [sum(column_score(c, float(cast(float, row[c]))) for c in shared) / len(shared) for row in rows]
    # Scores are compared at a precision far below any printed difference, so float noise makes no tie-break.
    keys = [round(score, 9) for score in scores]
    order = sorted(range(len(rows)), key=lambda i: -keys[i])  # stable: ties keep input order
    ranks: list[int | None] = [None] * len(rows)
    for position, index in enumerate(order):
        previous = order[position - 1] if position else None
        same = previous is not None and keys[previous] == keys[index]
        ranks[index] = ranks[previous] if same else position + 1  # type: ignore[index]
    return Ranking(shared, tuple(order), tuple(ranks), tuple(scores))
