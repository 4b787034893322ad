"""One run's uncertainty: standard error and interval of a headline or metric from its samples.

Means get the clustered standard error (exact for a mean, eagle_eval.stats.clustered) and a normal
interval, cut to the scores' range (an accuracy's interval ends at 0 and 100%); other statistics get a seeded cluster bootstrap (standard deviation of the resampled
values, percentile interval), whose resamples and seed are recorded.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from eagle_eval.stats.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_totals, draws_summary
from eagle_eval.stats.clustered import DEFAULT_LEVEL, clustered_standard_error, normal_interval
from eagle_eval.stats.statistics import MeanOf, Statistic
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
        low, high = normal_interval(value, se, level)
        # Scores bounded by [0, top] (accuracies) bound their mean too: no interval past 100%.
        top = statistic.multiplier * scale
        if scores.size and scores.min() >= 0 and scores.max() <= top:
            low, high = max(low, 0.0), min(high, top)
        method = "iid" if n_units == scores.size else "clustered"
        return Estimate(value, se, low, high, level, method, int(scores.size), n_units)
    rows = statistic.unit_rows(table)
    value = float(statistic.value(rows.sum(axis=0))) * scale
    (totals,) = bootstrap_totals([rows], resamples, seed)
    se, low, high = draws_summary(statistic.value(totals) * scale, level)
    return Estimate(value, se, low, high, level, "bootstrap", table.n_samples, table.n_units, resamples, seed)
