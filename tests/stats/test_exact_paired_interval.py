"""The interval of a paired 0/1 difference is built from exact McNemar, so the two always agree.

Expected limits are found independently: Clopper–Pearson intervals from scipy's `binomtest(...)
.proportion_ci(method="exact")` and statsmodels' `proportion_confint(method="beta")`, combined by hand
as difference = q·(1 − 2π) (q: discordant share, π: the new run's lost share of them); agreement
with the test is checked against statsmodels' `mcnemar(exact=True)` on the same tables.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from eagle_eval.stats import MeanOf, SampleTable, compare_paired
from eagle_eval.stats.paired import exact_paired_interval


def _table(scores: list[float]) -> SampleTable:
    return SampleTable.from_rows(
        [{"split": "s", "doc_id": i, "values": {"accuracy": s}, "unit": f"u{i}", "parsed": None}
         for i, s in enumerate(scores)]
    )


def _by_hand(gained: int, lost: int, n: int, level: float = 0.95) -> tuple[float, float]:
    q_low, q_high = proportion_confint(gained + lost, n, alpha=1 - level, method="beta")
    # With no discordant pair, π is anything in [0, 1].
    ci = binomtest(lost, gained + lost).proportion_ci(confidence_level=level, method="exact") if gained + lost else None
    pis = (ci.low, ci.high) if ci is not None else (0.0, 1.0)
    # q·(1 − 2π) is monotone in each of q and π, so its extremes are at the corners.
    ends = [q * (1 - 2 * pi) for q in (q_low, q_high) for pi in pis]
    return min(ends), max(ends)


def test_all_right_then_five_wrong_of_100_holds_zero_beside_p_0_062():
    baseline, new = [1.0] * 100, [1.0] * 95 + [0.0] * 5
    result = compare_paired(MeanOf("accuracy"), _table(baseline), _table(new), scale=100)
    # Exact McNemar: 2·(½)^5 = 0.0625.
    assert result.p_value == pytest.approx(0.0625)
    # π: 5 of 5 lost, its exact lower limit 0.025^(1/5) = 0.47818; q: 5 of 100.
    pi_low = 0.025 ** (1 / 5)
    q_high = proportion_confint(5, 100, alpha=0.05, method="beta")[1]
    assert result.ci_high == pytest.approx(100 * q_high * (1 - 2 * pi_low), rel=1e-6)
    assert result.ci_low == pytest.approx(-100 * q_high, rel=1e-6)
    assert result.difference == pytest.approx(-5.0)
    assert result.ci_low < result.difference < 0 < result.ci_high
    assert result.interval == "exact" and result.test == "mcnemar-exact"


def test_two_samples_both_lost_give_a_wide_interval_not_a_point():
    result = compare_paired(MeanOf("accuracy"), _table([1.0, 1.0]), _table([0.0, 0.0]), scale=100)
    # π and q are both 2 of 2: lower limits √0.025 = 0.158114; the difference is in [−1, 1 − 2·0.158114].
    assert result.ci_low == pytest.approx(-100.0)
    assert result.ci_high == pytest.approx(100 * (1 - 2 * 0.025**0.5), rel=1e-6)
    assert result.p_value == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("gained", "lost", "n"),
    [(0, 5, 100), (0, 2, 2), (3, 30, 900), (0, 18, 900), (41, 50, 900), (7, 0, 40), (0, 0, 10), (12, 25, 300)],
)
def test_limits_match_clopper_pearson_combined_by_hand(gained, lost, n):
    assert exact_paired_interval(gained, lost, n) == pytest.approx(_by_hand(gained, lost, n), abs=1e-9)


def test_the_interval_leaves_out_zero_exactly_when_mcnemar_rejects():
    checked = 0
    for n in (6, 20, 60, 200):
        for lost in range(0, 13):
            for gained in range(0, 13):
                if gained + lost > n:
                    continue
                both = n - gained - lost
                p = mcnemar([[both, lost], [gained, 0]], exact=True).pvalue
                for alpha in (0.05, 0.1):
                    low, high = exact_paired_interval(gained, lost, n, 1 - alpha)
                    assert (p < alpha) == (not low <= 0 <= high), (gained, lost, n, alpha, p, low, high)
                    checked += 1
    assert checked > 1000


@pytest.mark.parametrize(("n", "p_gain", "p_loss"), [(20, 0.0, 0.2), (100, 0.0, 0.05), (60, 0.05, 0.15), (300, 0.02, 0.03)])
def test_coverage_is_at_least_the_level(n, p_gain, p_loss):
    rng = np.random.default_rng(20240814)
    replicates, covered = 2000, 0
    truth = p_gain - p_loss
    for gained, lost, _ in rng.multinomial(n, [p_gain, p_loss, 1 - p_gain - p_loss], size=replicates):
        low, high = exact_paired_interval(int(gained), int(lost), n)
        covered += low - 1e-12 <= truth <= high + 1e-12
    assert covered / replicates >= 0.95
