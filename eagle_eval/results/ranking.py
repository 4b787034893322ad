"""The leaderboard's ranking rule, in one place (docs/leaderboard.md).

Rows (runs and published rows alike) are ranked by their **mean column score** over the
**ranking columns**. Each value is taken as the table prints it (one decimal for percent, whole MME
and OCRBench points) and put on a 0-100 scale (percent as is, MME out of 2000, OCRBench out of
1000), so every column weighs the same. Higher is better; equal scores share a rank (1, 2, 2, 4) and
keep their input order (published rows before runs).

The ranking columns are the ones asked for (`table --tasks`), or else the largest set of columns
that the most rankable rows all have (each row's own columns are the candidates). A row that lacks
a ranking column, or that only covers a subset of the data (unless subsets are ranked too), is left
out of the ranking and the table says which and why, instead of one partial row switching the
ranking off for everyone. Averaging only shared columns keeps a row from rising or sinking on a
benchmark the others were not run on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from eagle_eval.core.units import unit_of_column

RULE = ("ranked by the mean over the ranking columns, each as printed on a 0-100 scale "
        "(MME/20, OCRBench/10); equal scores share a rank")


@dataclass(frozen=True)
class Ranking:
    columns: tuple[str, ...]  # the ranking columns; empty when no row can be ranked
    order: tuple[int, ...]  # row indices, best first, then the rows left out (in input order)
    ranks: tuple[int | None, ...]  # per input row; None when left out
    scores: tuple[float | None, ...]  # per input row, the mean column score
    left_out: tuple[str | None, ...] = field(default=())  # per input row: why it is not ranked

    @property
    def ranked(self) -> bool:
        return bool(self.columns)

    def describe(self) -> str:
        if not self.ranked:
            return "not ranked: no row has a value in every ranking column"
        return f"{RULE}; ranking columns: {', '.join(self.columns)}"


def column_score(column: str, value: float) -> float:
    """A printed value on a 0-100 scale, larger is better (eagle_eval/core/units.py)."""
    unit = unit_of_column(column)
    return unit.rank_score(unit.rounded(value))


def row_score(row: Mapping[str, float | None], columns: Sequence[str]) -> float:
    return sum(column_score(c, float(cast(float, row[c]))) for c in columns) / len(columns)


def ranking_columns(rows: Sequence[Mapping[str, float | None]], columns: Sequence[str],
                    excluded: Sequence[str | None]) -> tuple[str, ...]:
    """The largest set of `columns` that the most rankable rows have a value for (each row's own set a candidate)."""
    rankable = [row for row, why in zip(rows, excluded, strict=True) if why is None]
    best: tuple[int, int, tuple[str, ...]] = (0, 0, ())
    for row in rankable:
        candidate = tuple(c for c in columns if row.get(c) is not None)
        if not candidate:
            continue
        covered = sum(1 for other in rankable if all(other.get(c) is not None for c in candidate))
        if (covered, len(candidate)) > best[:2]:
            best = (covered, len(candidate), candidate)
    return best[2]


def rank_rows(rows: Sequence[Mapping[str, float | None]], columns: Sequence[str],
              excluded: Sequence[str | None] | None = None, fixed: bool = False) -> Ranking:
    """Rank rows of {column: value}: over `columns` as given when `fixed`, else over the columns
    `ranking_columns` chooses. `excluded` gives, per row, a reason it is not ranked (None to rank it)."""
    why: list[str | None] = list(excluded) if excluded is not None else [None] * len(rows)
    shared = tuple(columns) if fixed else ranking_columns(rows, columns, why)
    for index, row in enumerate(rows):
        missing = [c for c in shared if row.get(c) is None]
        if why[index] is None and missing:
            why[index] = f"no value for {', '.join(missing)}"
    ranked = [i for i in range(len(rows)) if why[i] is None] if shared else []
    if not ranked:
        return Ranking((), tuple(range(len(rows))), (None,) * len(rows), (None,) * len(rows), tuple(why))
    scores: list[float | None] = [row_score(rows[i], shared) if i in ranked else None for i in range(len(rows))]
    # Scores are compared at a precision far below any printed difference, so float noise makes no tie-break.
    keys = {i: round(cast(float, scores[i]), 9) for i in ranked}
    order = sorted(ranked, key=lambda i: -keys[i])  # stable: ties keep input order
    ranks: list[int | None] = [None] * len(rows)
    for position, index in enumerate(order):
        previous = order[position - 1] if position else None
        same = previous is not None and keys[previous] == keys[index]
        ranks[index] = ranks[previous] if same and previous is not None else position + 1
    left = [i for i in range(len(rows)) if i not in ranked]
    return Ranking(shared, (*order, *left), tuple(ranks), tuple(scores), tuple(why))
