"""One run's uncertainty: standard error and interval of a headline or metric from its samples.

Means get the clustered standard error (exact for a mean, eagle_eval.stats.clustered); other
statistics a seeded cluster bootstrap (the standard deviation of the resampled values), whose
resamples and seed are recorded. The interval follows one rule for every command that prints it
(eagle_eval.stats.score_interval): Wilson for 0/1 scores that stand alone, otherwise the clustered
normal or bootstrap percentile interval within the scores' range, Wilson over the units when they
are few, and none at all ("n too small") rather than a zero-width one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from eagle_eval.stats.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_totals, draws_summary
from eagle_eval.stats.clustered import DEFAULT_LEVEL, clustered_standard_error
from eagle_eval.stats.score_interval import bootstrap_interval, mean_interval, share_interval
from eagle_eval.stats.statistics import AllRightPerUnit, MeanOf, Statistic
from eagle_eval.stats.table import SampleTable

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True)
class Estimate:
    """A value with its standard error and interval, all in the same units (×`scale` of the metric)."""

    value: float
    se: float
    ci_low: float
    ci_high: float
    level: float
    method: str  # "clustered" (mean, shared units), "iid" (mean, one sample per unit), "bootstrap"
    n_samples: int
    n_units: int
    resamples: int | None = None
    seed: int | None = None
    # How ci_low and ci_high were found (eagle_eval.stats.score_interval): "wilson", "wilson-units",
    # "normal" or "percentile"; None when no interval can be given (both null: "n too small").
    interval: str | None = None

    def to_json(self) -> dict[str, object]:
        return json_fields(self)


def json_fields(record: DataclassInstance) -> dict[str, object]:
    """A dataclass's fields for JSON, with NaN and infinities (undefined figures) as null."""
    return {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in asdict(record).items()
    }


def estimate(
    statistic: Statistic,
    table: SampleTable,
    *,
    scale: float = 1.0,
    level: float = DEFAULT_LEVEL,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Estimate:
    if isinstance(statistic, MeanOf):
        scores, units = statistic.scores(table)
        scores = scores * scale
        value = float(scores.mean()) if scores.size else float("nan")
        n_units = int(np.unique(units).size)
        se = clustered_standard_error(scores, units)
        found = mean_interval(scores, units, statistic.multiplier * scale, se, level)
        method = "iid" if n_units == scores.size else "clustered"
        return Estimate(value, se, found.low, found.high, level, method, int(scores.size), n_units,
                        interval=found.rule)
    rows = statistic.unit_rows(table)
    value = float(statistic.value(rows.sum(axis=0))) * scale
    (totals,) = bootstrap_totals([rows], resamples, seed)
    se, low, high = draws_summary(statistic.value(totals) * scale, level)
    if isinstance(statistic, AllRightPerUnit):
        # Each unit is all right or not, and units stand alone: a proportion over the units.
        found = share_interval(float(rows[:, 0].sum()), table.n_units, scale, level)
    else:
        found = bootstrap_interval(low, high)
    return Estimate(value, se, found.low, found.high, level, "bootstrap", table.n_samples, table.n_units,
                    resamples, seed, found.rule)
