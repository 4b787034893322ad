"""What a comparison can see: the minimum detectable difference and the samples a drop needs.

Both come from the standard error of the paired difference, `se`, measured on `n` samples (it
carries the task's clustering and the runs' correlation). Per sample that is σ = se·√n, and a
two-sided z-test at level α detects a true difference δ with the given power when
δ ≥ (z_{1−α/2} + z_{power})·σ/√n. statsmodels' `NormalIndPower` with `ratio=0` (its one-sample
case) solves this both ways; we only convert between effect sizes (δ/σ) and task units.

Scaling σ/√n to another n assumes the new samples resemble the measured ones (the same share of
questions per image); a bigger test set of another make-up needs its own measurement.
"""

from __future__ import annotations

import math

DEFAULT_POWER = 0.8


def _solver():  # statsmodels is imported on use: it costs a second at start-up
    from statsmodels.stats.power import NormalIndPower

    return NormalIndPower()


def minimum_detectable_difference(
    se: float, n: int, alpha: float = 0.05, power: float = DEFAULT_POWER
) -> float:
    """The smallest true difference (in the units of `se`) detected with `power` at level `alpha`."""
    if not (se > 0 and n > 0):
        return float("nan")
    effect = _solver().solve_power(effect_size=None, nobs1=n, alpha=alpha, power=power, ratio=0)
    return float(effect) * se * math.sqrt(n)


def samples_needed(
    se: float, n: int, difference: float, alpha: float = 0.05, power: float = DEFAULT_POWER
) -> int:
    """Samples needed to detect a true `difference` (same units as `se`, measured on `n` samples)."""
    if not (se > 0 and n > 0) or difference == 0:
        return 0 if se == 0 else -1
    sigma = se * math.sqrt(n)
    nobs = _solver().solve_power(
        effect_size=abs(difference) / sigma, nobs1=None, alpha=alpha, power=power, ratio=0
    )
    return int(math.ceil(float(nobs)))
