"""The one interval rule for a run's score (eagle_eval.stats.score_interval, docs/statistics.md).

Expected values come from statsmodels' `proportion_confint`, lmms-eval's `clustered_stderr` and
scipy's normal quantile on the same inputs, or by hand where written out.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from lmms_eval.api.metrics import clustered_stderr
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from eagle_eval.stats import AllRightPerUnit, MeanOf, PooledF1, SampleTable, estimate
from eagle_eval.stats.score_interval import effective_units, wilson_interval
from eagle_eval.stats.summary import headline_error_text, recorded_headline


def _table(values, units=None, key="accuracy", parsed=None, answers=None):
    return SampleTable.from_rows(
        [
            {
                "split": "s",
                "doc_id": i,
                "values": {key: float(v)},
                "unit": None if units is None else units[i],
                "parsed": None if parsed is None else parsed[i],
                **({} if answers is None else {"fields": {"answer": answers[i]}}),
            }
            for i, v in enumerate(values)
        ]
    )


@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
@pytest.mark.parametrize("n", [1, 2, 5, 8, 30, 101, 2500])
def test_wilson_matches_statsmodels(n, level):
    for k in sorted({0, 1, n // 3, n // 2, n - 1, n} & set(range(n + 1))):
        low, high = wilson_interval(k / n, n, level)
        expected = proportion_confint(k, n, alpha=1 - level, method="wilson")
        assert (low, high) == pytest.approx(expected, abs=1e-12), (k, n)


def test_wilson_at_a_fractional_effective_count_matches_statsmodels():
    # statsmodels' Wilson is a formula in count/nobs, so an effective (non-integer) count is allowed.
    assert wilson_interval(0.6, 25 / 9, 0.95) == pytest.approx(
        proportion_confint(0.6 * 25 / 9, 25 / 9, method="wilson"), abs=1e-12
    )


def test_independent_binary_scores_get_wilson():
    scores = [1] * 61 + [0] * 39
    found = estimate(MeanOf("accuracy"), _table(scores), scale=100.0)
    low, high = proportion_confint(61, 100, method="wilson")
    assert (found.ci_low, found.ci_high) == pytest.approx((100 * low, 100 * high))
    assert (found.method, found.interval) == ("iid", "wilson")
    # The standard error is still s/√n: only the interval changed.
    assert found.se == pytest.approx(100 * np.std(scores, ddof=1) / 10)


def test_all_correct_five_is_not_certain():
    found = estimate(MeanOf("accuracy"), _table([1, 1, 1, 1, 1]), scale=100.0)
    z = norm.ppf(0.975)
    # By hand: Wilson's lower end at k = n is n / (n + z²); its upper end is 1.
    assert found.ci_low == pytest.approx(100 * 5 / (5 + z * z))
    assert found.ci_high == 100.0 and found.ci_low < found.ci_high
    assert found.ci_low == pytest.approx(100 * proportion_confint(5, 5, method="wilson")[0])
    none_right = estimate(MeanOf("accuracy"), _table([0, 0, 0, 0, 0]), scale=100.0)
    assert none_right.ci_low == 0.0 and none_right.ci_high == pytest.approx(100 * z * z / (5 + z * z))


def test_few_clustered_units_get_wilson_over_the_effective_units():
    # 5 samples on units of sizes 2, 2, 1: Kish's effective count 5² / (4 + 4 + 1) = 25/9.
    table = _table([1, 1, 0, 1, 0], units=list("AABBC"))
    assert effective_units(np.array(list("AABBC"))) == pytest.approx(25 / 9)
    found = estimate(MeanOf("accuracy"), table, scale=100.0)
    low, high = proportion_confint(0.6 * 25 / 9, 25 / 9, method="wilson")
    assert (found.ci_low, found.ci_high) == pytest.approx((100 * low, 100 * high))
    assert (found.method, found.interval) == ("clustered", "wilson-units")


def test_clustered_all_correct_is_not_zero_width():
    # 40 units of 3 questions, all right: se is 0, so the normal interval would be [100, 100].
    units = np.repeat(np.arange(40), 3)
    found = estimate(MeanOf("accuracy"), _table([1] * 120, units=[f"u{u}" for u in units]), scale=100.0)
    assert found.se == 0.0
    assert found.interval == "wilson-units" and found.ci_high == 100.0
    assert found.ci_low == pytest.approx(100 * proportion_confint(40, 40, method="wilson")[0])


def test_many_clustered_units_keep_the_clustered_normal_interval_cut_at_the_range():
    rng = np.random.default_rng(5)
    units = np.repeat(np.arange(60), 4)
    scores = (rng.random(240) < 0.97).astype(float)
    found = estimate(MeanOf("accuracy"), _table(scores, units=[f"u{u}" for u in units]), scale=100.0)
    se = 100 * clustered_stderr(scores.tolist(), [f"u{u}" for u in units])
    mean = 100 * scores.mean()
    assert found.se == pytest.approx(se)
    assert found.ci_low == pytest.approx(max(0.0, mean - norm.ppf(0.975) * se))
    assert found.ci_high == pytest.approx(min(100.0, mean + norm.ppf(0.975) * se))
    assert found.ci_high <= 100.0 and found.interval == "normal"


def test_soft_scores_on_few_units_get_wilson_over_the_units():
    # VQA-style soft scores, 6 questions each its own unit: effective count 6.
    scores = [1.0, 2 / 3, 1 / 3, 1.0, 0.0, 1.0]
    found = estimate(MeanOf("accuracy"), _table(scores), scale=100.0)
    mean = sum(scores) / 6
    low, high = proportion_confint(mean * 6, 6, method="wilson")
    assert (found.ci_low, found.ci_high) == pytest.approx((100 * low, 100 * high))
    assert found.interval == "wilson-units"


def test_circular_accuracy_is_a_proportion_over_units():
    # 5 base questions, each asked in 2 rotations, all right: 5 of 5 units.
    table = _table([1] * 10, units=[u for u in "ABCDE" for _ in range(2)], key="correct")
    found = estimate(AllRightPerUnit(), table, scale=100.0, resamples=200)
    assert (found.ci_low, found.ci_high) == pytest.approx(tuple(100 * x for x in proportion_confint(5, 5, method="wilson")))
    assert found.interval == "wilson" and found.method == "bootstrap"


def test_a_bootstrap_with_no_spread_gives_no_interval():
    # Every answer a true "yes": every resample has F1 = 1, so nothing bounds it from these samples.
    table = _table([1] * 4, units=list("ABCD"), parsed=["yes"] * 4, answers=["yes"] * 4)
    found = estimate(PooledF1(), table, resamples=200)
    assert found.value == 1.0 and found.interval is None
    headline = found.to_json()
    assert headline["ci_low"] is None and headline["ci_high"] is None
    block = {"version": 2, "headline": headline}
    assert headline_error_text(block, "percent") == ("", "n too small")


def test_old_blocks_are_read_by_the_same_bounds():
    over = {"version": 1, "headline": {"value": 75.0, "se": 16.4, "ci_low": 42.92, "ci_high": 107.08}}
    recorded = recorded_headline(over, "percent")
    assert recorded is not None and recorded.interval == (42.92, 100.0)
    assert headline_error_text(over, "percent") == ("± 16.4", "[42.9, 100.0]")
    certain = {"version": 1, "headline": {"value": 100.0, "se": 0.0, "ci_low": 100.0, "ci_high": 100.0}}
    assert headline_error_text(certain, "percent") == ("", "n too small")
    mme = {"version": 1, "headline": {"value": 1990.0, "se": 20.0, "ci_low": 1950.0, "ci_high": 2030.0}}
    assert recorded_headline(mme, "mme_points").interval == (1950.0, 2000.0)  # type: ignore[union-attr]
    assert recorded_headline(None, "percent") is None and headline_error_text({}, "percent") == ("", "")


def test_the_interval_is_within_range_and_not_zero_width_for_every_small_binary_run():
    for n in range(1, 13):
        for k in range(n + 1):
            found = estimate(MeanOf("accuracy"), _table([1] * k + [0] * (n - k)), scale=100.0)
            assert 0.0 <= found.ci_low < found.ci_high <= 100.0, (k, n)
            assert found.ci_low <= found.value <= found.ci_high
            assert not math.isnan(found.ci_low)
