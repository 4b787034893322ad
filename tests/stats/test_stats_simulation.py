"""Simulations with a known truth: intervals cover it, and the gate does not cry wolf.

Questions come in units (images) of 8; each unit has an easiness q ~ U(0.25, 0.75), and each run
adds its own per-unit perturbation v ~ U(−0.2, 0.2) (noise that moves every question about one
image together, as a preprocessing change would). A sample is right with probability q + v (+ the
true difference for the better run), so the expected accuracy difference is known exactly.
"""

from __future__ import annotations

import numpy as np

from eagle_eval.stats import MeanOf, SampleTable, compare_paired

REPLICATES = 400
UNITS, PER_UNIT = 120, 8
N = UNITS * PER_UNIT
UNIT_OF = np.repeat(np.arange(UNITS), PER_UNIT)
KEYS = [("s", i) for i in range(N)]


def _table(correct: np.ndarray) -> SampleTable:
    # Built directly (not through JSON rows) so 400 replicates stay fast.
    return SampleTable(
        keys=tuple(KEYS),
        unit_codes=UNIT_OF,
        unit_names=tuple(str(u) for u in range(UNITS)),
        values={"accuracy": correct.astype(float)},
        parsed=(None,) * N,
        fields={},
    )


def _run(rng: np.random.Generator, easiness: np.ndarray, shift: float) -> np.ndarray:
    perturbation = rng.uniform(-0.2, 0.2, UNITS)
    return rng.random(N) < (easiness + perturbation + shift)[UNIT_OF]


def test_paired_intervals_cover_a_known_difference():
    rng = np.random.default_rng(20240814)
    true_difference = 0.05  # points: 5.0
    covered = 0
    for _ in range(REPLICATES):
        easiness = rng.uniform(0.25, 0.75, UNITS)
        old, new = _run(rng, easiness, 0.0), _run(rng, easiness, true_difference)
        result = compare_paired(MeanOf("accuracy"), _table(old), _table(new), scale=100, resamples=50)
        covered += result.ci_low <= 100 * true_difference <= result.ci_high
    coverage = covered / REPLICATES
    assert 0.93 <= coverage <= 0.97, f"95% intervals covered the truth in {coverage:.1%} of {REPLICATES}"


def test_gate_false_alarm_rate_on_two_runs_of_the_same_model():
    rng = np.random.default_rng(7)
    alpha = 0.05
    alarms = naive_alarms = rejections = 0
    for _ in range(REPLICATES):
        easiness = rng.uniform(0.25, 0.75, UNITS)
        old, new = _run(rng, easiness, 0.0), _run(rng, easiness, 0.0)
        result = compare_paired(MeanOf("accuracy"), _table(old), _table(new), scale=100, resamples=400)
        significant = result.p_value < alpha
        rejections += significant
        # The gate with a tolerance of 0: a drop that is significant fails the run.
        alarms += significant and result.difference < 0
        naive_alarms += result.mcnemar_p < alpha
    binomial_error = 1.96 * np.sqrt(alpha * (1 - alpha) / REPLICATES)
    assert alarms / REPLICATES <= alpha + binomial_error
    assert rejections / REPLICATES <= alpha + binomial_error
    # McNemar treats the 960 pairs as independent; with per-image noise it rejects far too often,
    # which is why clustered tasks are tested by permuting whole units.
    assert naive_alarms / REPLICATES > alpha + binomial_error


def test_bootstrap_interval_of_pooled_f1_covers_its_true_value():
    """POPE-like units of 6 questions (3 yes, 3 no); per unit the model says yes to a yes-question
    with probability a ~ U(0.6, 1.0) and to a no-question with b ~ U(0, 0.3), and always answers yes
    or no. Expected counts per unit: tp = 3·0.8, fp = 3·0.15, fn = 3·0.2, so the population F1 is
    2·2.4 / (2·2.4 + 0.45 + 0.6) = 4.8 / 5.85."""
    from eagle_eval.stats import PooledF1, estimate

    rng = np.random.default_rng(11)
    units, per_unit = 150, 6
    n = units * per_unit
    unit_of = np.repeat(np.arange(units), per_unit)
    truth = np.tile(np.array(["yes"] * 3 + ["no"] * 3, dtype=object), units)
    true_f1 = 4.8 / 5.85
    covered = 0
    replicates = 200
    for _ in range(replicates):
        yes_rate = np.where(
            truth == "yes", rng.uniform(0.6, 1.0, units)[unit_of], rng.uniform(0.0, 0.3, units)[unit_of]
        )
        said = np.where(rng.random(n) < yes_rate, "yes", "no")
        table = SampleTable(
            keys=tuple(("s", i) for i in range(n)),
            unit_codes=unit_of,
            unit_names=tuple(str(u) for u in range(units)),
            values={"accuracy": (said == truth).astype(float)},
            parsed=tuple(said),
            fields={"answer": tuple(truth)},
        )
        found = estimate(PooledF1(), table, resamples=400, seed=int(rng.integers(1 << 30)))
        covered += found.ci_low <= true_f1 <= found.ci_high
    coverage = covered / replicates
    # 200 replicates: the binomial error of a 95% coverage is 1.5 points.
    assert 0.92 <= coverage <= 0.98, f"bootstrap intervals covered the true F1 in {coverage:.1%}"
