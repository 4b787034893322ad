"""The one rule for the interval of a run's score, whichever command prints it (docs/statistics.md).

- A mean of 0/1 scores whose samples each stand alone (one sample per unit): the Wilson score
  interval of k right out of n.
- Any other mean of bounded scores (clustered units, soft scores): the clustered normal interval,
  value ± z·se, cut to the scores' range [0, top]. With fewer than `FEW_UNITS` units, or when the
  samples show no spread (se 0), the normal interval is no guide and can be zero-width, so the
  Wilson interval is taken at the cluster level: the mean as a proportion of `top` over the
  effective number of units (Kish's n²/Σm², the number of units when they are of equal size).
- The share of units whose every sample is right (a proportion over independent units): Wilson
  over the units.
- Any other statistic: the percentile interval of its cluster bootstrap (within the statistic's
  range by construction). When every resample gives the same value the data cannot bound it, and
  no interval is given ("n too small") rather than a zero-width one.

Wilson rather than Clopper–Pearson: Clopper–Pearson guarantees at least the stated coverage for
every true rate, and pays for it by covering well above it (98-99% for a 95% interval at a few
dozen samples); Wilson's coverage stays close to the stated level on average, it never passes 0 or
1, and it is never zero-width for n ≥ 1 (all 5 of 5 right gives [56.6%, 100%]). The paired interval
of `compare` is a different quantity and stays exact (eagle_eval.stats.paired).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eagle_eval.stats.clustered import z_value

# Below this many units a normal interval of a clustered or soft mean is replaced by Wilson's on
# the units (the gate's threshold for calling a normal interval rough).
FEW_UNITS = 30

WILSON = "wilson"  # Wilson score interval of k of n independent samples
WILSON_UNITS = "wilson-units"  # Wilson at the cluster level: the mean over the effective number of units
NORMAL = "normal"  # clustered normal interval, cut to the scores' range
PERCENTILE = "percentile"  # cluster bootstrap percentiles


@dataclass(frozen=True)
class ScoreInterval:
    """The interval's ends in the score's units (NaN when none can be given) and the rule that found it."""

    low: float
    high: float
    rule: str | None  # one of the constants above; None: no interval ("n too small")


NO_INTERVAL = ScoreInterval(float("nan"), float("nan"), None)


def wilson_interval(proportion: float, n: float, level: float) -> tuple[float, float]:
    """Wilson's score interval of a proportion observed over `n` samples (n may be an effective,
    fractional count); within [0, 1] and exact at the ends: 1 when all are right, 0 when none is."""
    if not n > 0 or not math.isfinite(proportion):
        return float("nan"), float("nan")
    z2 = z_value(level) ** 2
    centre = (proportion + z2 / (2 * n)) / (1 + z2 / n)
    half = math.sqrt(proportion * (1 - proportion) / n + z2 / (4 * n * n)) / (1 + z2 / n) * math.sqrt(z2)
    low = 0.0 if proportion <= 0 else max(0.0, centre - half)
    high = 1.0 if proportion >= 1 else min(1.0, centre + half)
    return low, high


def effective_units(units: np.ndarray) -> float:
    """Kish's effective number of clusters, n²/Σ m_c² over the units' sizes m_c: the number of units
    when each holds as many samples as the others, fewer when a few units hold most samples."""
    _, sizes = np.unique(np.asarray(units), return_counts=True)
    sizes = sizes.astype(float)
    return float(sizes.sum() ** 2 / (sizes @ sizes)) if sizes.size else 0.0


def mean_interval(scores: np.ndarray, units: np.ndarray, top: float, se: float, level: float) -> ScoreInterval:
    """The interval of the mean of `scores` (already in reporting units, best possible `top`)."""
    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        return NO_INTERVAL
    value = float(scores.mean())
    if not math.isfinite(value):
        return NO_INTERVAL
    if scores.min() < 0 or scores.max() > top or top <= 0:
        # Scores of no known range: a normal interval when there is spread to base it on.
        if not (math.isfinite(se) and se > 0):
            return NO_INTERVAL
        half = z_value(level) * se
        return ScoreInterval(value - half, value + half, NORMAL)
    proportion = min(1.0, max(0.0, value / top))
    n_units = int(np.unique(units).size)
    binary = bool(np.all((scores == 0) | (scores == top)))
    if binary and n_units == scores.size:
        low, high = wilson_interval(proportion, scores.size, level)
        return ScoreInterval(low * top, high * top, WILSON)
    if n_units >= FEW_UNITS and math.isfinite(se) and se > 0:
        half = z_value(level) * se
        return ScoreInterval(max(value - half, 0.0), min(value + half, top), NORMAL)
    low, high = wilson_interval(proportion, effective_units(units), level)
    return ScoreInterval(low * top, high * top, WILSON_UNITS)


def share_interval(right: float, n_units: int, top: float, level: float) -> ScoreInterval:
    """The interval of `right` of `n_units` independent units (each all right or not), times `top`."""
    if n_units <= 0:
        return NO_INTERVAL
    low, high = wilson_interval(right / n_units, n_units, level)
    return ScoreInterval(low * top, high * top, WILSON)


def bootstrap_interval(low: float, high: float) -> ScoreInterval:
    """A percentile interval, unless the resamples show no spread (or none was defined)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return NO_INTERVAL
    return ScoreInterval(low, high, PERCENTILE)
