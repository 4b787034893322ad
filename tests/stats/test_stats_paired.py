"""Paired differences, McNemar, refusal of mismatched samples, bootstrap and power, against
hand-derived values and statsmodels/scipy computed independently."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from scipy.stats import binomtest
from statsmodels.stats.contingency_tables import mcnemar

from eagle_eval.stats import (
    AllRightPerUnit,
    MeanOf,
    SampleTable,
    StatsInputError,
    clustered_standard_error,
    compare_paired,
    estimate,
    minimum_detectable_difference,
    samples_needed,
)
from eagle_eval.stats.bootstrap import bootstrap_totals, resample_counts


def _table(values, units, key="accuracy", split="s"):
    return SampleTable.from_rows(
        [
            {"split": split, "doc_id": i, "values": {key: float(v)}, "unit": str(u), "parsed": None}
            for i, (v, u) in enumerate(zip(values, units, strict=True))
        ]
    )


def test_paired_difference_matches_hand_derivation():
    # Units A = docs 0,1; B = docs 2,3; C = doc 4.
    # baseline 1 1 0 1 0, new 1 0 1 1 1 → d = 0 −1 1 0 1, mean 0.2 (+20 points).
    # d − 0.2 = −0.2 −1.2 0.8 −0.2 0.8: Σ = 2.8; unit sums A −1.4, B 0.6, C 0.8: Σ² = 2.96.
    # SE² = Σd²/(n²(n−1)) + Σ_c S_c²/n² = 2.8/100 + 2.96/25 = 0.1464 → SE = 0.38262 (38.26 points).
    units = "AABBC"
    result = compare_paired(
        MeanOf("accuracy"), _table([1, 1, 0, 1, 0], units), _table([1, 0, 1, 1, 1], units), scale=100
    )
    assert result.difference == pytest.approx(20.0)
    assert result.se == pytest.approx(100 * math.sqrt(0.1464), rel=1e-12)
    assert (result.gained, result.lost) == (2, 1)
    assert result.method == "clustered" and result.test == "permutation"
    # The 2×2 table: both right 2, only baseline 1, only new 2, neither 0 → exact p = 2·P(Bin(3, ½) ≤ 1) = 1.
    assert result.mcnemar_p == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mcnemar_matches_statsmodels_on_the_same_table(seed):
    rng = np.random.default_rng(seed)
    n = 500
    old = (rng.random(n) < 0.7).astype(float)
    new = np.where(rng.random(n) < 0.9, old, 1 - old)
    new[rng.random(n) < 0.03 * seed] = 0.0  # a real drop for the larger seeds
    result = compare_paired(MeanOf("accuracy"), _table(old, range(n)), _table(new, range(n)))
    table = [
        [int(np.sum((old == 1) & (new == 1))), int(np.sum((old == 1) & (new == 0)))],
        [int(np.sum((old == 0) & (new == 1))), int(np.sum((old == 0) & (new == 0)))],
    ]
    expected = mcnemar(table, exact=True).pvalue
    assert result.test == "mcnemar-exact" and result.method == "iid"
    assert result.p_value == pytest.approx(expected, rel=1e-12)
    # And the exact binomial test on the discordant pairs, computed by scipy.
    b, c = table[0][1], table[1][0]
    assert result.p_value == pytest.approx(binomtest(min(b, c), b + c, 0.5).pvalue, rel=1e-9)
    assert (result.lost, result.gained) == (b, c)


def test_differing_doc_ids_are_refused():
    old = _table([1, 0, 1], "ABC")
    new = SampleTable.from_rows(
        [
            {"split": "s", "doc_id": i, "values": {"accuracy": 1.0}, "unit": u, "parsed": None}
            for i, u in zip([0, 1, 5], "ABC", strict=True)
        ]
    )
    with pytest.raises(
        StatsInputError, match="different samples .*1 only in the baseline, 1 only in the new run"
    ):
        compare_paired(MeanOf("accuracy"), old, new, where="gqa")
    moved = _table([1, 0, 1], "ABD")
    with pytest.raises(StatsInputError, match="different data"):
        compare_paired(MeanOf("accuracy"), old, moved)


def test_pairing_follows_doc_ids_not_file_order():
    old = _table([1, 0, 1, 0], "AABB")
    rows = [
        {"split": "s", "doc_id": i, "values": {"accuracy": float(v)}, "unit": u, "parsed": None}
        for i, v, u in [(3, 0, "B"), (2, 1, "B"), (1, 0, "A"), (0, 1, "A")]
    ]
    result = compare_paired(MeanOf("accuracy"), old, SampleTable.from_rows(rows))
    assert result.difference == 0 and result.gained == result.lost == 0 and result.se == 0


def test_bootstrap_is_seeded_and_agrees_with_the_clustered_formula_for_a_mean():
    rng = np.random.default_rng(11)
    units = rng.integers(0, 400, size=4000)
    scores = (rng.random(4000) < rng.uniform(0.2, 0.9, 400)[units]).astype(float)
    table = _table(scores, units)
    statistic = MeanOf("accuracy")
    rows = statistic.unit_rows(table)
    first = bootstrap_totals([rows], 2000, seed=5)[0]
    assert np.array_equal(first, bootstrap_totals([rows], 2000, seed=5)[0])
    draws = statistic.value(first)
    assert draws.std(ddof=1) == pytest.approx(clustered_standard_error(scores, table.unit_codes), rel=0.08)
    counts = resample_counts(np.random.default_rng(0), 7, 13)
    assert counts.shape == (7, 13) and (counts.sum(axis=1) == 13).all()


def test_bootstrap_over_twenty_thousand_samples_takes_seconds():
    rng = np.random.default_rng(2)
    n = 20_000
    units = rng.integers(0, 8_000, size=n)
    old = (rng.random(n) < 0.6).astype(float)
    new = np.where(rng.random(n) < 0.95, old, 1 - old)
    old_table, new_table = _table(old, units, key="correct"), _table(new, units, key="correct")
    # CPU time, not wall time: a machine shared with other jobs must not fail the test.
    started = time.process_time()
    single = estimate(AllRightPerUnit("correct"), old_table, resamples=2000)
    paired = compare_paired(AllRightPerUnit("correct"), old_table, new_table, resamples=2000)
    elapsed = time.process_time() - started
    assert single.method == "bootstrap" and paired.resamples == 2000
    assert elapsed < 10, f"bootstrap + permutation over {n} samples took {elapsed:.1f} s of CPU"


def test_minimum_detectable_difference_and_samples_needed():
    # MDE = (z_{0.975} + z_{0.8}) · SE = (1.959964 + 0.841621) · SE = 2.801585 · SE.
    assert minimum_detectable_difference(1.0, 900) == pytest.approx(2.801585, rel=1e-4)
    assert minimum_detectable_difference(0.5, 900, alpha=0.01) == pytest.approx(
        0.5 * (2.575829 + 0.841621), rel=1e-4
    )
    # An SE of 1.6 points on 900 questions (MMMU) → σ = 48 per question; a 1-point drop needs
    # n = (2.801585 · 48 / 1)² = 18,084 questions.
    assert samples_needed(1.6, 900, 1.0) == pytest.approx(18_084, abs=2)
    assert samples_needed(1.6, 900, 2 * minimum_detectable_difference(1.6, 900)) == pytest.approx(225, abs=1)


def test_permutation_test_is_exact_with_few_units():
    # Three units, each losing one right answer: of the 2³ swaps only "none" and "all" give a
    # difference as large as the observed one, so p = 2/8.
    units = "AABBCC"
    result = compare_paired(
        MeanOf("accuracy"), _table([1, 1, 1, 1, 1, 1], units), _table([0, 1, 0, 1, 0, 1], units)
    )
    assert result.test == "permutation" and result.p_value == pytest.approx(0.25)
