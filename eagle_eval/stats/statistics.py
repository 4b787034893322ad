"""What a headline is, as a function of per-unit totals: the form every bootstrap here resamples.

Each statistic turns a task's samples into one row of numbers per unit (an image, an MMBench
question) and computes its value from the column sums of those rows. Resampling units with
replacement then only re-weights rows: the totals of 2,000 resamples are one matrix product, which
is what keeps a bootstrap over 10k+ samples to seconds. A plain mean (accuracy) has rows
(sum of scores, count); POPE's F1 has (tp, fp, fn); MME has, per category, (sum of image scores,
images); MMBench's circular accuracy has (every rotation right, 1).

These are written here rather than taken from a library because no statistics library knows the
benchmarks' aggregation rules; the tests check each against the task's own `aggregate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eagle_eval.stats.table import SampleTable


class Statistic:
    """A headline or metric as f(column sums of per-unit rows)."""

    # Dataset columns the statistic reads; scoring writes them beside each sample's score.
    columns: tuple[str, ...] = ()
    # True when the value is a mean of per-sample scores, so its clustered standard error is exact.
    is_mean: bool = False
    # The best possible value, the worst being 0 (None: no known range): bounds a paired difference.
    top: float | None = None

    def unit_rows(self, table: SampleTable) -> np.ndarray:
        """One row per unit (n_units × n_features)."""
        raise NotImplementedError

    def value(self, totals: np.ndarray) -> np.ndarray:
        """The statistic from totals of shape (..., n_features); NaN where undefined."""
        raise NotImplementedError

    def point(self, table: SampleTable) -> float:
        return float(self.value(self.unit_rows(table).sum(axis=0)))

    def describe(self) -> str:
        return type(self).__name__


def _unit_sums(table: SampleTable, columns: Sequence[np.ndarray]) -> np.ndarray:
    return np.stack(
        [np.bincount(table.unit_codes, weights=column, minlength=table.n_units) for column in columns], axis=1
    )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


@dataclass(frozen=True)
class MeanOf(Statistic):
    """The mean of one per-sample value, optionally over the samples whose `where` column matches,
    times `multiplier` (OCRBench's score out of 1000 is 1000 × the mean hit rate)."""

    key: str
    multiplier: float = 1.0
    where: tuple[str, Any] | None = None
    is_mean: bool = True

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.where[0],) if self.where else ()

    def mask(self, table: SampleTable) -> np.ndarray:
        if self.where is None:
            return np.ones(table.n_samples, dtype=bool)
        name, wanted = self.where
        return np.array([value == wanted for value in table.field(name)], dtype=bool)

    def scores(self, table: SampleTable) -> tuple[np.ndarray, np.ndarray]:
        """(scores × multiplier, unit codes) of the samples the mean is over."""
        keep = self.mask(table)
        return table.scores(self.key)[keep] * self.multiplier, table.unit_codes[keep]

    def unit_rows(self, table: SampleTable) -> np.ndarray:
        keep = self.mask(table).astype(float)
        return _unit_sums(table, [np.nan_to_num(table.scores(self.key)) * keep * self.multiplier, keep])

    def value(self, totals: np.ndarray) -> np.ndarray:
        return _ratio(totals[..., 0], totals[..., 1])

    def describe(self) -> str:
        where = f" where {self.where[0]} == {self.where[1]!r}" if self.where else ""
        times = f" × {self.multiplier:g}" if self.multiplier != 1 else ""
        return f"mean of {self.key}{where}{times}"


@dataclass(frozen=True)
class PooledF1(Statistic):
    """POPE's F1 with "yes" as the positive class; only an explicit "no" is a false negative."""

    truth_column: str = "answer"
    top: float | None = 1.0

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.truth_column,)

    def unit_rows(self, table: SampleTable) -> np.ndarray:
        truth = np.array([str(t).strip().lower() == "yes" for t in table.field(self.truth_column)])
        said_yes = np.array([p == "yes" for p in table.parsed])
        said_no = np.array([p == "no" for p in table.parsed])
        flags = [truth & said_yes, ~truth & said_yes, truth & said_no]
        return _unit_sums(table, [flag.astype(float) for flag in flags])

    def value(self, totals: np.ndarray) -> np.ndarray:
        tp, fp, fn = totals[..., 0], totals[..., 1], totals[..., 2]
        # 2PR/(P+R) = 2tp/(2tp+fp+fn); 0 when there is no true positive, as the task scores it.
        denominator = 2 * tp + fp + fn
        return np.where(tp > 0, _ratio(2 * tp, denominator), 0.0)

    def describe(self) -> str:
        return "F1 of yes (tp, fp, fn pooled)"


@dataclass(frozen=True)
class MMEScore(Statistic):
    """Sum over `categories` of the mean over images of acc + acc+ (×100 each): MME's perception
    (or cognition). The unit is the image, so a unit row holds its category's score and a 1."""

    categories: tuple[str, ...]
    key: str = "correct"
    category_column: str = "category"
    label: str = "perception"

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.category_column,)

    def unit_rows(self, table: SampleTable) -> np.ndarray:
        correct = np.nan_to_num(table.scores(self.key))
        right = np.bincount(table.unit_codes, weights=correct, minlength=table.n_units)
        asked = np.bincount(table.unit_codes, minlength=table.n_units)
        image_score = 100.0 * _ratio(right, asked) + 100.0 * (right == asked)
        category_of_unit = np.empty(table.n_units, dtype=object)
        category_of_unit[table.unit_codes] = np.asarray(table.field(self.category_column), dtype=object)
        rows = np.zeros((table.n_units, 2 * len(self.categories)))
        for k, category in enumerate(self.categories):
            mine = category_of_unit == category
            rows[mine, 2 * k] = image_score[mine]
            rows[mine, 2 * k + 1] = 1.0
        return rows

    @property
    def top(self) -> float | None:  # type: ignore[override]
        return 200.0 * len(self.categories)  # acc + acc+, 100 each, per category

    def value(self, totals: np.ndarray) -> np.ndarray:
        sums, counts = totals[..., 0::2], totals[..., 1::2]
        # A category absent from the data adds nothing (as the task sums the categories present).
        with np.errstate(invalid="ignore", divide="ignore"):
            per_category = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), 0.0)
        return per_category.sum(axis=-1)

    def describe(self) -> str:
        return f"MME {self.label}: sum over categories of mean image acc + acc+"


@dataclass(frozen=True)
class AllRightPerUnit(Statistic):
    """The share of units whose every sample is right: MMBench's circular accuracy."""

    key: str = "correct"
    top: float | None = 1.0

    def unit_rows(self, table: SampleTable) -> np.ndarray:
        correct = np.nan_to_num(table.scores(self.key))
        right = np.bincount(table.unit_codes, weights=correct, minlength=table.n_units)
        asked = np.bincount(table.unit_codes, minlength=table.n_units)
        return np.stack([(right == asked).astype(float), np.ones(table.n_units)], axis=1)

    def value(self, totals: np.ndarray) -> np.ndarray:
        return _ratio(totals[..., 0], totals[..., 1])

    def describe(self) -> str:
        return f"share of units with every {self.key} right"


@dataclass(frozen=True)
class MeanByGroup(Statistic):
    """One mean per value of a dataset column (per subject, per question type): declared once under
    a metric-name pattern such as "accuracy/{}", expanded on the data into `MeanOf(key, where=...)`.
    Rows whose column is null or empty belong to no group."""

    key: str
    column: str

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.column,)

    def expand(self, table: SampleTable, pattern: str) -> dict[str, MeanOf]:
        groups = sorted({value for value in table.field(self.column) if value not in (None, "")}, key=str)
        return {pattern.format(group): MeanOf(self.key, where=(self.column, group)) for group in groups}

    def describe(self) -> str:
        return f"mean of {self.key} per {self.column}"
