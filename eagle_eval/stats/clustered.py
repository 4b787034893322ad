"""Standard errors of means when questions share a unit (an image), and normal intervals.

The clustered standard error is Equation 4 of Miller, "Adding Error Bars to Evals" (2024), the
formula lmms-eval's `clustered_stderr` implements:

    SE² = s²/n + (1/n²) Σ_c Σ_{i≠j in c} (x_i − x̄)(x_j − x̄)

with s² the sample variance (n − 1 in the denominator). Written as
Σ_{i≠j} d_i d_j = (Σ_i d_i)² − Σ_i d_i² per cluster it needs two `bincount`s, so it is vectorised
here (lmms-eval loops in Python). With one sample per cluster the cross term vanishes and it is
the usual s/√n. It is never negative: it equals Σd²/(n²(n−1)) + Σ_c(Σ_i d_i)²/n².
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

DEFAULT_LEVEL = 0.95


def clustered_standard_error(scores: np.ndarray, units: np.ndarray | None = None) -> float:
    """SE of the mean of `scores`; `units` (integer codes) marks which samples share a unit.

    NaN for fewer than two samples. `units=None` treats every sample as its own unit.
    """
    scores = np.asarray(scores, dtype=float)
    n = scores.size
    if n < 2:
        return float("nan")
    deviations = scores - scores.mean()
    variance_term = float(deviations @ deviations) / (n - 1) / n
    if units is None:
        return float(np.sqrt(variance_term))
    units = np.asarray(units)
    _, codes = np.unique(units, return_inverse=True)
    sums = np.bincount(codes, weights=deviations)
    squares = np.bincount(codes, weights=deviations * deviations)
    cross_term = float(sums @ sums - squares.sum()) / (n * n)
    return float(np.sqrt(variance_term + cross_term))


def z_value(level: float = DEFAULT_LEVEL) -> float:
    """The two-sided normal quantile: 1.96 for a 95% interval."""
    return float(norm.ppf(0.5 + level / 2))


def normal_interval(
    estimate: float, standard_error: float, level: float = DEFAULT_LEVEL
) -> tuple[float, float]:
    half = z_value(level) * standard_error
    return estimate - half, estimate + half


def design_effect(scores: np.ndarray, units: np.ndarray) -> float:
    """(clustered SE / naive SE)²: how many times larger the variance is than if samples were independent."""
    naive = clustered_standard_error(scores)
    if not naive or np.isnan(naive):
        return float("nan")
    return (clustered_standard_error(scores, units) / naive) ** 2
