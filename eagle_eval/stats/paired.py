"""Two runs of one task compared sample by sample: the difference, its error, flips, a p-value.

The difference is new − baseline in the statistic's units (× scale). Its standard error is paired:
for a mean it is the clustered standard error of the per-sample differences, which removes the
variance the two runs share (question difficulty); for other statistics it comes from a paired
cluster bootstrap (both runs re-weighted by the same resampled units).

The p-value tests "no difference":
- exact McNemar (statsmodels) when every score is 0/1, the statistic is a mean, and each unit holds
  one sample: the test the discordant pairs call for;
- otherwise a paired permutation test over units (the runs' rows swapped in random halves of the
  units). McNemar assumes independent pairs; on questions that share an image it rejects too often
  (tests/stats/test_stats_simulation.py measures it), so clustered tasks use the permutation test, and
  the McNemar p-value is still reported for 0/1 tasks, for reference.

The interval is built from the test printed beside it, so the two never disagree: it leaves out 0
exactly when p < 1 − level. Where exact McNemar is the test, from its exact limits
(`exact_paired_interval`); where the permutation test is, by inverting it over shifts of the
difference (eagle_eval.stats.permutation_interval).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eagle_eval.stats.bootstrap import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    bootstrap_totals,
    draws_summary,
    permutation_draws,
)
from eagle_eval.stats.clustered import DEFAULT_LEVEL, clustered_standard_error
from eagle_eval.stats.permutation_interval import PERMUTATION, PERMUTATION_NULL, ShiftTest, null_span
from eagle_eval.stats.statistics import MeanOf, Statistic
from eagle_eval.stats.table import SampleTable, paired_tables
from eagle_eval.stats.uncertainty import json_fields


@dataclass(frozen=True)
class PairedDifference:
    baseline: float
    new: float
    difference: float
    se: float
    ci_low: float
    ci_high: float
    level: float
    method: str  # "clustered", "iid" or "bootstrap" (how se was found)
    test: str  # "mcnemar-exact" or "permutation"
    p_value: float
    mcnemar_p: float | None
    gained: int  # samples the new run scores higher than the baseline
    lost: int  # samples it scores lower
    n_samples: int
    n_units: int
    resamples: int | None = None
    seed: int | None = None
    # How ci_low/ci_high were found: each the inversion of the test printed beside it: "exact" (McNemar's),
    # "permutation" (the sign-flip test of a mean), "permutation-null" (the permutation null, moved).
    interval: str = PERMUTATION

    def to_json(self) -> dict[str, object]:
        return json_fields(self)


def mcnemar_exact_p(baseline: np.ndarray, new: np.ndarray) -> float:
    """statsmodels' exact McNemar test on the 2×2 table of right/wrong (baseline rows, new columns)."""
    from statsmodels.stats.contingency_tables import mcnemar

    old_right, new_right = baseline.astype(bool), new.astype(bool)
    table = [
        [int(np.sum(old_right & new_right)), int(np.sum(old_right & ~new_right))],
        [int(np.sum(~old_right & new_right)), int(np.sum(~old_right & ~new_right))],
    ]
    return float(mcnemar(table, exact=True).pvalue)


def _clopper_pearson(successes: int, trials: int, level: float) -> tuple[float, float]:
    """The exact (Clopper–Pearson) interval of a binomial proportion: the inversion of the binomial test."""
    from scipy.stats import beta

    tail = (1 - level) / 2
    low = 0.0 if successes == 0 else float(beta.ppf(tail, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(beta.ppf(1 - tail, successes + 1, trials - successes))
    return low, high


def exact_paired_interval(gained: int, lost: int, n: int, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """An interval for new − baseline (a fraction) on n paired 0/1 samples, built from exact McNemar.

    The difference is q·(1 − 2π): q the share of discordant samples, π the share of those the new run
    lost. Exact McNemar is the binomial test of π = ½ on the lost/discordant count, so π's exact
    (Clopper–Pearson) interval holds ½ exactly when that test's p-value is at least 1 − level; the
    interval of the difference spans q(1 − 2π) over both exact intervals (q's too, so the number of
    discordant samples is not taken as known), and holds 0 exactly when McNemar does not reject.
    Coverage is at least 1 − 2(1 − level) by construction and, as each part is conservative, in
    practice above the level (tests/stats/test_exact_paired_interval.py).
    """
    discordant = gained + lost
    q_low, q_high = _clopper_pearson(discordant, n, level)
    if discordant == 0:
        return -q_high, q_high
    pi_low, pi_high = _clopper_pearson(lost, discordant, level)
    low_factor, high_factor = 1 - 2 * pi_high, 1 - 2 * pi_low
    low = q_high * low_factor if low_factor < 0 else q_low * low_factor
    high = q_high * high_factor if high_factor > 0 else q_low * high_factor
    return low, high


def _is_binary(*arrays: np.ndarray) -> bool:
    return all(bool(np.all((a == 0) | (a == 1))) for a in arrays)


def compare_paired(  # noqa: PLR0913 -- keyword-only settings with defaults, as scipy.stats functions take them
    statistic: Statistic,
    baseline: SampleTable,
    new: SampleTable,
    *,
    scale: float = 1.0,
    level: float = DEFAULT_LEVEL,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    where: str = "",
) -> PairedDifference:
    """The paired comparison of `statistic` between two runs over the same samples (refused otherwise)."""
    baseline, new = paired_tables(baseline, new, where)
    old_rows, new_rows = statistic.unit_rows(baseline), statistic.unit_rows(new)
    old_value = float(statistic.value(old_rows.sum(axis=0))) * scale
    new_value = float(statistic.value(new_rows.sum(axis=0))) * scale
    head = (old_value, new_value, new_value - old_value)
    flips = _flips(statistic, baseline, new)
    if not isinstance(statistic, MeanOf):
        old_totals, new_totals = bootstrap_totals([old_rows, new_rows], resamples, seed)
        se = draws_summary((statistic.value(new_totals) - statistic.value(old_totals)) * scale, level)[0]
        draws = permutation_draws(statistic.value, old_rows, new_rows, resamples, seed)
        test = ShiftTest.held_null(draws)
        low, high = (end * scale for end in test.interval(level, null_span(draws, statistic.top)))
        return PairedDifference(
            *head, se, low, high, level, "bootstrap", "permutation", test.p_value(), None, *flips,
            baseline.n_samples, baseline.n_units, resamples, seed, PERMUTATION_NULL,
        )  # fmt: skip
    old_scores, units = statistic.scores(baseline)
    new_scores, _ = statistic.scores(new)
    n_units = int(np.unique(units).size)
    se = clustered_standard_error((new_scores - old_scores) * scale, units)
    method = "iid" if n_units == old_scores.size else "clustered"
    mcnemar_p = None
    if _is_binary(old_scores / statistic.multiplier, new_scores / statistic.multiplier):
        mcnemar_p = mcnemar_exact_p(old_scores / statistic.multiplier, new_scores / statistic.multiplier)
    if mcnemar_p is not None and method == "iid":  # binary scores, one per unit: McNemar's exact test
        gained, lost = flips
        low, high = (end * statistic.multiplier * scale
                     for end in exact_paired_interval(gained, lost, int(old_scores.size), level))
        return PairedDifference(
            *head, se, low, high, level, method, "mcnemar-exact", mcnemar_p, mcnemar_p, *flips,
            int(old_scores.size), n_units, interval="exact",
        )  # fmt: skip
    draws = permutation_draws(statistic.value, old_rows, new_rows, resamples, seed, carry=old_rows[:, 1])
    test = ShiftTest.of_mean(draws, old_rows[:, 1])
    span = _score_span(statistic, old_scores, new_scores)
    low, high = (end * scale for end in test.interval(level, span))
    return PairedDifference(
        *head, se, low, high, level, method, "permutation", test.p_value(), mcnemar_p, *flips,
        int(old_scores.size), n_units, resamples, seed, PERMUTATION,
    )  # fmt: skip


def _score_span(statistic: MeanOf, *scores: np.ndarray) -> float:
    """How far a difference of two means can lie from 0: the scores' range, at least [0, multiplier]."""
    finite = np.concatenate([s[np.isfinite(s)] for s in scores])
    top = max(statistic.multiplier, float(finite.max()) if finite.size else 0.0)
    bottom = min(0.0, float(finite.min()) if finite.size else 0.0)
    return top - bottom


def _flips(statistic: Statistic, baseline: SampleTable, new: SampleTable) -> tuple[int, int]:
    """(gained, lost): samples whose score rose / fell, on the statistic's per-sample value."""
    key = getattr(statistic, "key", None)
    if key is not None and key in baseline.values:
        old, now = np.nan_to_num(baseline.values[key]), np.nan_to_num(new.values[key])
        if isinstance(statistic, MeanOf):
            keep = statistic.mask(baseline)
            old, now = old[keep], now[keep]
        return int(np.sum(now > old)), int(np.sum(now < old))
    # Statistics over parsed answers (POPE): a sample flips when its right/wrong verdict changes.
    for candidate in ("accuracy", "correct"):
        if candidate in baseline.values:
            old, now = np.nan_to_num(baseline.values[candidate]), np.nan_to_num(new.values[candidate])
            return int(np.sum(now > old)), int(np.sum(now < old))
    return 0, 0
