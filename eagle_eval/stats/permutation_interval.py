"""The interval of a paired difference that inverts the permutation test printed beside it.

`compare` tests "no difference" by swapping the two runs' rows within random halves of the units
(eagle_eval.stats.bootstrap.permutation_draws). Its interval is the set of shifts δ the same test does
not reject at alpha = 1 − level, so it leaves out 0 exactly when the printed p-value is below alpha:

- a mean (`MeanOf`, `interval: permutation`): the test of "new − baseline = δ" is the sign-flip test
  of the per-sample differences minus δ, over units, with the same swaps (every one of the 2^units
  once when there are no more than the resamples, else the same seeded draws). Under a swap set F the
  shifted difference is a − δ·b, a the swapped difference at δ = 0 and b = 1 − 2·(samples in F)/n;
  the observed one is d̄ − δ. Each swap reaches the observed distance on an interval of δ around d̄
  (|a − δb| ≥ |d̄ − δ| with |b| ≤ 1), so p(δ) falls as δ moves away from d̄ on either side, the
  accepted shifts form one interval, and bisection finds its ends.
- any other statistic (POPE's F1, MME's sums, circular accuracy; `interval: permutation-null`): a swap
  of units does not shift a ratio of totals by δ, so the test's null distribution is held where it is
  and moved to the estimate (b = 0): the interval is the estimate ± the largest distance the test
  does not call significant, and it too leaves out 0 exactly when p < alpha.

Both are cut to the difference's possible range (± the statistic's span), as the ends of the accepted
set are when the test cannot reject there: with 3 units every swap set and its mirror reach any
shift, p ≥ 2/8, and the interval is the whole range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eagle_eval.stats.bootstrap import PermutationDraws, tail_share, tie_tolerance

PERMUTATION = "permutation"  # the sign-flip test of a mean, inverted over shifts
PERMUTATION_NULL = "permutation-null"  # the permutation null moved to the estimate (non-mean statistics)
_MAX_HALVINGS = 2000  # bisection stops sooner, when the midpoint is one of the ends (float resolution)


@dataclass(frozen=True)
class ShiftTest:
    """The paired permutation test of "new − baseline = δ" for every shift δ (statistic units)."""

    estimate: float  # the observed difference
    at_zero: np.ndarray  # the difference under each swap, δ = 0
    slope: np.ndarray  # how each swapped difference moves with δ (0: a null held fixed)
    exact: bool  # every swap taken once

    @classmethod
    def of_mean(cls, draws: PermutationDraws, counts: np.ndarray) -> ShiftTest:
        """A mean's test; `draws` carried the units' sample counts, so b = 1 − 2·swapped samples / n."""
        total = float(np.sum(counts))
        return cls(draws.observed, draws.differences, 1 - 2 * draws.carried / total, draws.exact)

    @classmethod
    def held_null(cls, draws: PermutationDraws) -> ShiftTest:
        return cls(draws.observed, draws.differences, np.zeros_like(draws.differences), draws.exact)

    def p_value(self, shift: float = 0.0) -> float:
        """The two-sided p-value of δ = `shift`; at 0 it is the test of "no difference"."""
        shifted = self.at_zero - shift * self.slope
        return tail_share(shifted, self.estimate - shift, self.exact, tie_tolerance(self.estimate))

    def interval(self, level: float, span: float) -> tuple[float, float]:
        """The shifts in [−span, span] the test does not reject at 1 − level (its ends by bisection)."""
        if not math.isfinite(self.estimate):
            return float("nan"), float("nan")
        alpha = round(1 - level, 12)  # 1 − 0.95 is 0.05000000000000004 in floats
        low = self._edge(self.estimate, -span, alpha)
        high = self._edge(self.estimate, span, alpha)
        if self.p_value(0.0) >= alpha:  # by the argument above already inside; kept as the contract
            low, high = min(low, 0.0), max(high, 0.0)
        return low, high

    def _edge(self, inside: float, outside: float, alpha: float) -> float:
        """The last accepted shift between an accepted one (`inside`) and `outside`."""
        if self.p_value(outside) >= alpha:
            return outside
        for _ in range(_MAX_HALVINGS):
            middle = (inside + outside) / 2
            if middle in (inside, outside):
                break
            if self.p_value(middle) >= alpha:
                inside = middle
            else:
                outside = middle
        return inside


def null_span(draws: PermutationDraws, top: float | None) -> float:
    """How far the difference of a non-mean statistic can lie from 0: its best value (`top`, the worst
    being 0) when known, else beyond every swapped difference, where the held null rejects."""
    if top is not None:
        return float(top)
    finite = np.abs(draws.differences[np.isfinite(draws.differences)])
    return 2 * (abs(draws.observed) + (float(finite.max()) if finite.size else 0.0) + 1.0)
