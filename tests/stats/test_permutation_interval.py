"""The paired interval of the permutation path agrees with the permutation p-value printed beside it.

On small random paired tables (clustered units, soft and 0/1 scores, POPE-like F1) the interval leaves
out 0 exactly when p < alpha, and its ends equal a brute-force inversion written here: every swap of
units enumerated with itertools, the shifted test evaluated at every shift where one swap's distance
crosses the observed one (the only places p can change), and the accepted shifts' extremes taken.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from eagle_eval.stats import MeanOf, PooledF1, SampleTable, compare_paired

TOL = 1e-9


def _rows(values, units, answers=None, parsed=None):
    return SampleTable.from_rows([
        {"split": "s", "doc_id": i, "values": {"score": float(v)}, "unit": f"u{u}",
         "parsed": None if parsed is None else parsed[i],
         "fields": {} if answers is None else {"answer": answers[i]}}
        for i, (v, u) in enumerate(zip(values, units, strict=True))
    ])  # fmt: skip


def _random_pair(rng, n_units, soft):
    sizes = rng.integers(1, 5, size=n_units)
    units = np.repeat(np.arange(n_units), sizes)
    draw = (lambda size: rng.choice([0, 0.3, 0.6, 1.0], size=size)) if soft else (
        lambda size: (rng.random(size) < 0.6).astype(float))
    old = draw(units.size)
    new = np.where(rng.random(units.size) < 0.5, old, draw(units.size))
    new[rng.random(units.size) < rng.uniform(0, 0.8)] = 0.0  # a drop of random size
    return units, old, new


def _brute_mean_interval(units, old, new, alpha):
    """Every sign vector over units; p(δ) = share with |Σ ε(d − δm)| ≥ |Σ(d − δm)|; the accepted δ's hull."""
    names = np.unique(units)
    d = np.array([np.sum(new[units == u] - old[units == u]) for u in names])
    m = np.array([np.sum(units == u) for u in names], dtype=float)
    signs = np.array(list(itertools.product([1.0, -1.0], repeat=names.size)))
    sd, sm = signs @ d, signs @ m
    total_d, total_m = d.sum(), m.sum()

    def p(delta):
        return np.mean(np.abs(sd - delta * sm) >= np.abs(total_d - delta * total_m) - TOL)

    # p changes only where sd − δ·sm = ±(D − δ·N) for some swap.
    with np.errstate(divide="ignore", invalid="ignore"):
        crossings = np.concatenate([(sd - total_d) / (sm - total_m), (sd + total_d) / (sm + total_m)])
    candidates = [c for c in crossings if np.isfinite(c) and -1 <= c <= 1] + [-1.0, 1.0, total_d / total_m]
    accepted = [c for c in candidates if p(c) >= alpha]
    return min(accepted), max(accepted), p(0.0)


@pytest.mark.parametrize("level", [0.95, 0.8])
@pytest.mark.parametrize("soft", [False, True])
def test_mean_interval_is_the_inverted_sign_flip_test(level, soft):
    rng = np.random.default_rng(7 if soft else 11)
    alpha = 1 - level
    outcomes = []
    for _ in range(25):
        units, old, new = _random_pair(rng, int(rng.integers(3, 11)), soft)
        found = compare_paired(MeanOf("score"), _rows(old, units), _rows(new, units), scale=100, level=level)
        low, high, p_zero = _brute_mean_interval(units, old, new, alpha)
        assert found.interval == "permutation" and found.test == "permutation"
        assert found.p_value == pytest.approx(p_zero, abs=1e-12)
        assert (found.ci_low, found.ci_high) == (pytest.approx(100 * low, abs=1e-6), pytest.approx(100 * high, abs=1e-6))
        excludes_zero = not found.ci_low <= 0 <= found.ci_high
        assert excludes_zero == (found.p_value < alpha)
        outcomes.append(excludes_zero)
    assert any(outcomes) and not all(outcomes)  # both verdicts were exercised


@pytest.mark.parametrize("seed", range(6))
def test_random_swaps_keep_interval_and_p_in_agreement(seed):
    """More units than 2^units ≤ resamples allows: seeded random swaps, the same ones for p and interval."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(4):
        units, old, new = _random_pair(rng, int(rng.integers(12, 40)), soft=bool(seed % 2))
        found = compare_paired(MeanOf("score"), _rows(old, units), _rows(new, units), scale=100, resamples=400)
        excludes_zero = not found.ci_low <= 0 <= found.ci_high
        assert excludes_zero == (found.p_value < 0.05)
        assert found.ci_low <= found.difference <= found.ci_high
        assert found.ci_low >= -100 and found.ci_high <= 100


def _f1(tp, fp, fn):
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def test_f1_interval_is_the_permutation_null_moved_to_the_estimate():
    """F1 is no mean: the null of swapped differences is held and centred on the estimate."""
    rng = np.random.default_rng(3)
    outcomes = []
    for _ in range(20):
        n_units = int(rng.integers(4, 9))
        units = np.repeat(np.arange(n_units), 3)
        truth = rng.choice(["yes", "no"], size=units.size)
        said = [rng.choice(["yes", "no"], size=units.size) for _ in range(2)]
        said[1] = np.where(rng.random(units.size) < 0.4, "no", said[1])  # the new run says no more often
        tables = [_rows(np.zeros(units.size), units, list(truth), list(s)) for s in said]
        found = compare_paired(PooledF1(), *tables, scale=100, level=0.8)
        # Per unit (tp, fp, fn) for each run, then every swap of units enumerated.
        counts = [np.array([[np.sum((truth == "yes") & (s == "yes") & (units == u)),
                             np.sum((truth == "no") & (s == "yes") & (units == u)),
                             np.sum((truth == "yes") & (s == "no") & (units == u))] for u in range(n_units)])
                  for s in said]  # fmt: skip
        estimate = _f1(*counts[1].sum(axis=0)) - _f1(*counts[0].sum(axis=0))
        swapped = []
        for mask in itertools.product([False, True], repeat=n_units):
            pick = np.array(mask)[:, None]
            old_t = np.where(pick, counts[1], counts[0]).sum(axis=0)
            new_t = np.where(pick, counts[0], counts[1]).sum(axis=0)
            swapped.append(abs(_f1(*new_t) - _f1(*old_t)))
        swapped = np.array(swapped)
        p_zero = np.mean(swapped >= abs(estimate) - TOL)
        # The accepted distances t from the estimate: share(|swapped| ≥ t) ≥ alpha; the largest is a draw.
        reach = max(t for t in swapped if np.mean(swapped >= t - TOL) >= 0.2 - TOL)
        assert found.interval == "permutation-null"
        assert found.p_value == pytest.approx(p_zero, abs=1e-12)
        assert found.ci_low == pytest.approx(100 * max(-1.0, estimate - reach), abs=1e-6)
        assert found.ci_high == pytest.approx(100 * min(1.0, estimate + reach), abs=1e-6)
        excludes_zero = not found.ci_low <= 0 <= found.ci_high
        assert excludes_zero == (found.p_value < 0.2)
        outcomes.append(excludes_zero)
    assert any(outcomes) and not all(outcomes)
