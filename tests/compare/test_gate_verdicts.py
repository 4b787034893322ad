"""The gate's verdict agrees with the test printed beside it, and a task the new run lacks fails it.

Runs are written as `run` leaves them (results.json and scores/<task>.jsonl, MMMU-style 0/1 accuracy);
expected limits come from statsmodels' Clopper–Pearson intervals combined by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint

from eagle_eval.cli.common import EXIT_INCOMPLETE, EXIT_OK, EXIT_REGRESSION

from .scored_runs import write_scored_run


def _run(folder: Path, per_task: dict[str, list[float]], units: list[str] | None = None) -> Path:
    """A scored run folder; `units` (one per sample) are the same for every task."""
    return write_scored_run(folder, per_task, {task: units for task in per_task} if units else None)


@pytest.mark.parametrize("gate", ["significance", "lower-bound"])
def test_five_lost_of_100_is_noise_under_every_gate(eagle, tmp_path, gate):
    old = _run(tmp_path / "old", {"mmmu": [1.0] * 100})
    new = _run(tmp_path / "new", {"mmmu": [1.0] * 95 + [0.0] * 5})
    result = eagle("compare", new, "--baseline", old, "--gate", gate, "--json", tmp_path / "c.json")
    assert result.code == EXIT_OK, result.out + result.err
    assert "within noise" in result.out and "REGRESSION" not in result.out
    entry = json.loads((tmp_path / "c.json").read_text())["tasks"]["mmmu"]
    # Exact McNemar 2·(½)^5; the interval: q = 5/100 at its upper limit times 1 − 2·0.025^(1/5).
    assert entry["p_value"] == pytest.approx(0.0625)
    q_high = proportion_confint(5, 100, alpha=0.05, method="beta")[1]
    assert entry["ci_high"] == pytest.approx(100 * q_high * (1 - 2 * 0.025 ** (1 / 5)), rel=1e-6)
    assert entry["ci_low"] < 0 < entry["ci_high"] and entry["interval"] == "exact"
    assert f"[{entry['ci_low']:+.2f}, {entry['ci_high']:+.2f}]" in result.out


def test_two_samples_both_lost_do_not_fail_the_lower_bound_gate(eagle, tmp_path):
    old = _run(tmp_path / "old", {"mmmu": [1.0, 1.0]})
    new = _run(tmp_path / "new", {"mmmu": [0.0, 0.0]})
    result = eagle("compare", new, "--baseline", old, "--gate", "lower-bound", "--json", tmp_path / "c.json")
    assert result.code == EXIT_OK, result.out
    entry = json.loads((tmp_path / "c.json").read_text())["tasks"]["mmmu"]
    # π and q are both 2 of 2, each with lower limit √0.025: the difference spans [−1, 1 − 2√0.025].
    assert entry["ci_low"] == pytest.approx(-100.0)
    assert entry["ci_high"] == pytest.approx(100 * (1 - 2 * 0.025**0.5), rel=1e-6)


@pytest.mark.parametrize("gate", ["significance", "lower-bound"])
def test_a_clear_drop_still_fails_every_gate(eagle, tmp_path, gate):
    base = [1.0 if i % 2 else 0.0 for i in range(900)]
    new_scores = [0.0 if (i % 2 and i < 60) else s for i, s in enumerate(base)]  # 30 lost: −3.33 points
    old, new = _run(tmp_path / "old", {"mmmu": base}), _run(tmp_path / "new", {"mmmu": new_scores})
    result = eagle("compare", new, "--baseline", old, "--gate", gate)
    assert result.code == EXIT_REGRESSION and "REGRESSION: mmmu" in result.out


def test_lower_bound_gate_follows_the_permutation_test_over_few_units(eagle, tmp_path):
    # Three pictures, one answer lost on each: swapping the runs picture by picture gives 2³ arrangements,
    # and for any shift δ of the difference the identity and the swap of all three both reach the observed
    # distance, so p(δ) ≥ 2/8: the test rejects no shift, and its inverted interval is the whole range.
    units = ["a", "a", "a", "b", "b", "b", "c", "c"]
    old = _run(tmp_path / "old", {"mmmu": [1.0] * 8}, units)
    new = _run(tmp_path / "new", {"mmmu": [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0]}, units)
    result = eagle("compare", new, "--baseline", old, "--gate", "lower-bound", "--json", tmp_path / "c.json")
    entry = json.loads((tmp_path / "c.json").read_text())["tasks"]["mmmu"]
    assert entry["test"] == "permutation" and entry["p_value"] == pytest.approx(0.25)
    assert (entry["ci_low"], entry["ci_high"], entry["interval"]) == (-100.0, 100.0, "permutation")
    assert "smallest p is 0.25" in entry["note"]
    assert result.code == EXIT_OK and entry["verdict"] == "noise", result.out


@pytest.mark.parametrize("gate", ["significance", "lower-bound"])
def test_a_clear_drop_over_clustered_units_fails_every_gate(eagle, tmp_path, gate):
    # 40 pictures of 2 questions, all right before; one answer lost on each of 30 pictures: −37.5 points.
    # Of the 2^40 swaps, those reaching |Σ| = 30 on 30 equal unit differences number 2·2^10, so p is
    # about 2^−29 (the 2,000 random swaps give the floor 1/2001), and the inverted interval lies below 0.
    units = [f"p{i // 2}" for i in range(80)]
    old = _run(tmp_path / "old", {"mmmu": [1.0] * 80}, units)
    new = _run(tmp_path / "new", {"mmmu": [0.0 if i % 2 == 0 and i < 60 else 1.0 for i in range(80)]}, units)
    result = eagle("compare", new, "--baseline", old, "--gate", gate, "--json", tmp_path / "c.json")
    entry = json.loads((tmp_path / "c.json").read_text())["tasks"]["mmmu"]
    assert entry["p_value"] == pytest.approx(1 / 2001) and entry["interval"] == "permutation"
    assert entry["ci_low"] < -37.5 < entry["ci_high"] < -0.5
    assert result.code == EXIT_REGRESSION and "REGRESSION: mmmu" in result.out


def test_a_baseline_task_missing_from_the_new_run_is_named_and_incomplete(eagle, tmp_path):
    old = _run(tmp_path / "old", {"mmmu": [1.0] * 10, "sqa": [1.0] * 10})
    new = _run(tmp_path / "new", {"mmmu": [1.0] * 10})
    result = eagle("compare", new, "--baseline", old, "--json", tmp_path / "c.json")
    assert result.code == EXIT_INCOMPLETE == 4, result.out + result.err
    assert "INCOMPLETE" in result.out and "missing from the new run: sqa" in result.out
    assert "\nno regression\n" not in result.out
    document = json.loads((tmp_path / "c.json").read_text())
    assert document["incomplete"] is True and document["missing_tasks"] == ["sqa"]
    assert document["tasks"]["sqa"]["verdict"] == "missing" and document["regression"] is False


def test_tasks_narrows_the_comparison_to_what_both_runs_hold(eagle, tmp_path):
    old = _run(tmp_path / "old", {"mmmu": [1.0] * 10, "sqa": [1.0] * 10})
    new = _run(tmp_path / "new", {"mmmu": [1.0] * 10})
    result = eagle("compare", new, "--baseline", old, "--tasks", "mmmu")
    assert result.code == EXIT_OK and "INCOMPLETE" not in result.out and "no regression" in result.out


def test_a_regression_outranks_an_incomplete_comparison(eagle, tmp_path):
    base = [1.0 if i % 2 else 0.0 for i in range(900)]
    new_scores = [0.0 if (i % 2 and i < 60) else s for i, s in enumerate(base)]
    old = _run(tmp_path / "old", {"mmmu": base, "sqa": [1.0] * 10})
    new = _run(tmp_path / "new", {"mmmu": new_scores})
    result = eagle("compare", new, "--baseline", old)
    assert result.code == EXIT_REGRESSION and "INCOMPLETE" in result.out and "REGRESSION: mmmu" in result.out
