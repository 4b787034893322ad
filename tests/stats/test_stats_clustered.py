"""Clustered standard errors: a hand derivation, lmms-eval's formula, and the independent case."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from eagle_eval.stats import MeanOf, SampleTable, clustered_standard_error, estimate


def test_clustered_standard_error_matches_hand_derivation():
    # Scores by unit: A = [1, 1], B = [0, 1], C = [0]; n = 5, mean 0.6.
    # Deviations d: A (0.4, 0.4), B (-0.6, 0.4), C (-0.6); Σd² = 1.2.
    # Miller's Eq. 4: SE² = s²/n + (1/n²) Σ_c [(Σ_c d)² − Σ_c d²]
    #   s²/n = (1.2/4)/5 = 0.06
    #   cross: A 0.8² − 0.32 = 0.32; B (−0.2)² − 0.52 = −0.48; C 0.36 − 0.36 = 0 → −0.16/25 = −0.0064
    #   SE² = 0.0536, SE = 0.231517...
    scores = np.array([1, 1, 0, 1, 0], dtype=float)
    units = np.array([0, 0, 1, 1, 2])
    assert clustered_standard_error(scores, units) == pytest.approx(math.sqrt(0.0536), rel=1e-12)
    # Without units it is s/√n = √0.06.
    assert clustered_standard_error(scores) == pytest.approx(math.sqrt(0.06), rel=1e-12)


def test_clustered_standard_error_equals_lmms_eval_formula():
    from lmms_eval.api.metrics import clustered_stderr

    rng = np.random.default_rng(7)
    units = rng.integers(0, 40, size=300)
    easiness = rng.uniform(0.1, 0.9, size=40)
    binary = (rng.random(300) < easiness[units]).astype(float)
    soft = np.round(rng.random(300) * 3) / 3  # VQA-accuracy-like values 0, 1/3, 2/3, 1
    for scores in (binary, soft):
        ours = clustered_standard_error(scores, units)
        theirs = clustered_stderr(scores.tolist(), units.tolist())
        assert ours == pytest.approx(theirs, rel=1e-10)
    # One sample per unit: the plain standard error, which lmms-eval's formula also reduces to.
    alone = np.arange(300)
    assert clustered_standard_error(binary, alone) == pytest.approx(
        clustered_stderr(binary.tolist(), alone.tolist())
    )
    assert clustered_standard_error(binary, alone) == pytest.approx(binary.std(ddof=1) / math.sqrt(300))


def test_clustering_widens_the_error_when_units_share_difficulty():
    rng = np.random.default_rng(3)
    units = np.repeat(np.arange(50), 20)  # 1,000 questions on 50 images, like GQA's few hundred pictures
    scores = (rng.random(1000) < rng.uniform(0.05, 0.95, 50)[units]).astype(float)
    # Intra-unit correlation ≈ var(p)/(p̄(1−p̄)) ≈ 0.3: design effect 1 + 19·0.3 ≈ 6.7, SE ratio ≈ 2.6.
    assert clustered_standard_error(scores, units) > 2 * clustered_standard_error(scores)


def test_estimate_reports_paper_units_and_method():
    rows = [
        {"split": "s", "doc_id": i, "values": {"accuracy": float(v)}, "unit": u, "parsed": None}
        for i, (v, u) in enumerate(zip([1, 1, 0, 1, 0], "AABBC", strict=True))
    ]
    found = estimate(MeanOf("accuracy"), SampleTable.from_rows(rows), scale=100.0)
    assert found.value == pytest.approx(60.0)
    assert found.se == pytest.approx(100 * math.sqrt(0.0536))
    # 3 units, under the 30 a normal interval needs: Wilson at the cluster level (docs/statistics.md),
    # 3 of 5 right over Kish's effective count 5² / (2² + 2² + 1²) = 25/9 units.
    low, high = proportion_confint(0.6 * 25 / 9, 25 / 9, method="wilson")
    assert (found.ci_low, found.ci_high) == pytest.approx((100 * low, 100 * high), rel=1e-9)
    assert (found.method, found.n_samples, found.n_units, found.interval) == ("clustered", 5, 3, "wilson-units")


def test_unclustered_paired_error_equals_lmms_eval_paired_ttest():
    from lmms_eval.api.metrics import paired_ttest

    from eagle_eval.stats import compare_paired

    rng = np.random.default_rng(5)
    old = np.round(rng.random(400) * 3) / 3  # soft VQA-accuracy-like scores
    new = np.clip(old + rng.choice([-1 / 3, 0, 0, 1 / 3], size=400), 0, 1)

    def table(scores):
        rows = [
            {"split": "s", "doc_id": i, "values": {"vqa_accuracy": float(v)}, "parsed": None}
            for i, v in enumerate(scores)
        ]
        return SampleTable.from_rows(rows)

    ours = compare_paired(MeanOf("vqa_accuracy"), table(old), table(new), resamples=200)
    theirs = paired_ttest(new.tolist(), old.tolist())
    assert ours.difference == pytest.approx(theirs["mean_diff"], rel=1e-12)
    assert ours.se == pytest.approx(theirs["se_diff"], rel=1e-12)
    assert ours.method == "iid" and ours.test == "permutation"  # soft scores: no McNemar
