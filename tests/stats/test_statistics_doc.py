"""The worked example of docs/statistics.md: its commands run, and both their output and the figures the
page quotes equal figures derived here from the inputs alone (the bundled GQA answers and the example
predictions), by hand and with lmms-eval's clustered_stderr, scipy and statsmodels.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import pandas
import pytest
from lmms_eval.api.metrics import clustered_stderr
from scipy.stats import norm
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.power import NormalIndPower

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
BUNDLED = ROOT / "data" / "hub"
GQA = BUNDLED / "lmms-lab" / "GQA" / "data" / "testdev_balanced_instructions" / "testdev-00000-of-00001.parquet"


def example_verdicts() -> tuple[list[str], list[float], list[float]]:
    """(picture of each question, baseline 0/1, new 0/1) from the dataset's answers and the predictions.

    Every answer and prediction is a plain lowercase word, so GQA's exact match is string equality:
    the baseline misses doc 4 ("shirt" for "t-shirt"); the new run also doc 2 (dog/horse), 3
    (right/left) and 6 (white / black and white).
    """
    rows = pandas.read_parquet(GQA)
    answers, units = list(rows["answer"]), list(rows["imageId"])
    lines = {name: [json.loads(line) for line in (EXAMPLES / name).read_text().splitlines()]
             for name in ("gqa_baseline.jsonl", "gqa_new_lmms_eval.jsonl")}  # fmt: skip
    baseline = {row["doc_id"]: row["prediction"] for row in lines["gqa_baseline.jsonl"]}
    new = {row["doc_id"]: row["filtered_resps"][0] for row in lines["gqa_new_lmms_eval.jsonl"]}
    return (
        units,
        [float(baseline[i] == answer) for i, answer in enumerate(answers)],
        [float(new[i] == answer) for i, answer in enumerate(answers)],
    )


def test_the_inputs_are_the_ones_derived_by_hand():
    units, baseline, new = example_verdicts()
    assert units == ["n288870"] * 3 + ["n161313"] * 3 + ["n436545"] * 2
    assert baseline == [1, 1, 1, 1, 0, 1, 1, 1] and new == [1, 1, 0, 0, 0, 1, 0, 1]


def test_worked_example_figures(eagle, tmp_path):
    doc = (ROOT / "docs" / "statistics.md").read_text()
    units, base_scores, new_scores = example_verdicts()
    n = len(units)
    z = norm.ppf(0.975)

    # Clustered SE (Miller's Eq. 4 = lmms-eval's clustered_stderr): se² = s²/n + (1/n²) Σ_units Σ_{i≠j} d_i d_j,
    # with d = x − x̄, s² = Σd²/(n−1), and per unit Σ_{i≠j} d_i d_j = (Σd)² − Σd².
    # Baseline, x̄ = 7/8: d = +1/8 for a right answer, −7/8 for doc 4. Σd² = 7/64 + 49/64 = 7/8,
    # s²/n = (7/8)/7/8 = 1/64. Cross terms: n288870 (3/8)² − 3/64 = 6/64; n161313 (−5/8)² − 51/64 = −26/64;
    # n436545 (2/8)² − 2/64 = 2/64; sum −18/64, over n² = 64: −18/4096. se² = 64/4096 − 18/4096 = 46/4096,
    # se = 0.10597: 10.6 points.
    base_se = 100 * math.sqrt(46 / 4096)
    assert base_se == pytest.approx(100 * clustered_stderr(base_scores, units))
    # New, x̄ = 1/2: d = ±1/2. s²/n = (8/4)/7/8 = 1/28. Cross terms: n288870 (1/2)² − 3/4 = −1/2;
    # n161313 (−1/2)² − 3/4 = −1/2; n436545 0 − 1/2 = −1/2; sum −3/2, over 64. se² = 1/28 − 3/128,
    # se = 0.11080: 11.1 points.
    new_se = 100 * math.sqrt(1 / 28 - 3 / 128)
    assert new_se == pytest.approx(100 * clustered_stderr(new_scores, units))
    # The paired difference new − baseline per question: 0, 0, −1 | −1, 0, 0 | −1, 0; mean −3/8 = −37.5
    # points. d = +3/8 for the zeros, −5/8 for the −1s: Σd² = 5·9/64 + 3·25/64 = 120/64, s²/n = (120/64)/56.
    # Cross terms: n288870 (1/8)² − 43/64 = −42/64; n161313 the same; n436545 (−2/8)² − 34/64 = −30/64;
    # sum −114/64, over 64. se² = 120/3584 − 114/4096, se = 0.075167: 7.52 points.
    diffs = [b - a for a, b in zip(base_scores, new_scores, strict=True)]
    delta = 100 * sum(diffs) / n
    paired_se = 100 * math.sqrt(120 / 3584 - 114 / 4096)
    assert delta == -37.5 and paired_se == pytest.approx(100 * clustered_stderr(diffs, units))
    normal = (delta - z * paired_se, delta + z * paired_se)  # the interval printed before: −37.5 ∓ 14.73
    assert [f"{end:.2f}" for end in normal] == ["-52.23", "-22.77"]
    # MDE and samples for a 1-point drop: statsmodels' one-sample normal power on the per-question spread
    # se·√n. Its two-sided power counts the far tail too, so the MDE sits a hair under the closed form
    # (z_0.975 + z_0.8)·se = (1.960 + 0.842) · 7.517 = 21.06.
    spread = paired_se * math.sqrt(n)
    mde = NormalIndPower().solve_power(nobs1=n, alpha=0.05, power=0.8, ratio=0) * spread
    assert mde == pytest.approx((z + norm.ppf(0.8)) * paired_se, rel=1e-5)
    needed = math.ceil(NormalIndPower().solve_power(effect_size=1 / spread, alpha=0.05, power=0.8, ratio=0))
    # p-values: each picture's difference is −1; of the 2³ sign swaps, only all-minus and all-plus reach
    # |−3|, so the permutation p is 2/8. McNemar: both right 4, only the baseline 3, only new 0, neither 1.
    table = [[4, 3], [0, 1]]
    assert mcnemar(table, exact=True).pvalue == pytest.approx(2 / 8)
    # The interval inverts that test: the shifts δ (a fraction) whose test on d − δ gives p ≥ 0.05. Per
    # picture the differences sum to −1, −1, −1 over 3, 3 and 2 questions, so picture u holds −1 − δ·m_u;
    # the 8 sign swaps ε give Σ ε_u(−1 − δ·m_u), and the observed Σ(−1 − δ·m_u) = −3 − 8δ. Enumerated
    # by hand at every δ of a fine grid over the possible range [−1, 1] (and the swaps' crossing points):
    # no swap set and its mirror both fail, p ≥ 2/8 everywhere, so no δ is rejected.
    sums, sizes = (-1.0, -1.0, -1.0), (3, 3, 2)

    def shifted_p(shift: float) -> float:
        observed = abs(sum(s - shift * m for s, m in zip(sums, sizes, strict=True)))
        reach = [abs(sum(e * (s - shift * m) for e, s, m in zip(signs, sums, sizes, strict=True)))
                 >= observed - 1e-12 for signs in itertools.product((1, -1), repeat=3)]  # fmt: skip
        return sum(reach) / 8

    assert shifted_p(0.0) == 2 / 8
    grid = [k / 1000 for k in range(-1000, 1001)] + [-3 / 8, -1 / 3, -1 / 5, 1 / 5, 1 / 3]
    assert min(shifted_p(shift) for shift in grid) >= 2 / 8 > 0.05
    ci = (-100.0, 100.0)  # the whole range of a difference of two accuracies

    for name, predictions in (("baseline", "gqa_baseline.jsonl"), ("new", "gqa_new_lmms_eval.jsonl")):
        result = eagle("score", "--task", "gqa", "--predictions", EXAMPLES / predictions, "--data-root", BUNDLED,
                       "--output", tmp_path / name / "results.json", "--no-progress")  # fmt: skip
        assert result.code == 0, result.err
    headline = {
        name: json.loads((tmp_path / name / "results.json").read_text())["results"]["gqa"]["uncertainty"][
            "headline"
        ]
        for name in ("baseline", "new")
    }
    assert headline["baseline"]["value"] == 87.5 and headline["baseline"]["se"] == pytest.approx(base_se)
    assert headline["new"]["value"] == 50.0 and headline["new"]["se"] == pytest.approx(new_se)
    assert headline["new"]["n_units"] == 3 and headline["new"]["method"] == "clustered"
    assert f"`se` {base_se:.1f} points" in doc and f"50.0%, `se` {new_se:.1f}" in doc

    compared = eagle(
        "compare", tmp_path / "new", "--baseline", tmp_path / "baseline", "--json", tmp_path / "c.json"
    )
    assert compared.code == 0
    entry = json.loads((tmp_path / "c.json").read_text())["tasks"]["gqa"]
    assert (entry["difference"], entry["se"]) == (pytest.approx(delta), pytest.approx(paired_se))
    assert (entry["ci_low"], entry["ci_high"]) == pytest.approx(ci) and entry["mde_80"] == pytest.approx(mde)
    assert entry["interval"] == "permutation"
    assert entry["p_value"] == pytest.approx(2 / 8) and entry["mcnemar_p"] == pytest.approx(2 / 8)
    assert (entry["gained"], entry["lost"], entry["verdict"]) == (0, 3, "noise")
    # The row as `compare` prints it, and as the page quotes it, are the derived figures.
    expected = ["gqa", "87.50", "50.00", f"{delta:.2f}", f"[{ci[0]:+.2f}, {ci[1]:+.2f}]", "0.250", "0.250",
                "permutation", "+0/-3", "0.5", f"{mde:.2f}", "within noise"]  # fmt: skip
    assert expected[3:5] + expected[10:11] == ["-37.50", "[-100.00, +100.00]", "21.06"]
    row = next(line for line in compared.out.splitlines() if line.startswith("| gqa"))
    assert [cell.strip() for cell in row.strip("|").split("|")][:12] == expected
    quoted = next(line for line in doc.splitlines() if line.strip().startswith("| gqa") and "87.50" in line)
    assert [cell.strip() for cell in quoted.strip().strip("|").split("|")][:12] == expected

    power = eagle("power", tmp_path / "new", "--baseline", tmp_path / "baseline", "--drop", "1")
    printed = next(line for line in power.out.splitlines() if line.startswith("| gqa")).split("|")[6]
    assert needed == 3548 and int(printed.replace(",", "")) == needed
    assert re.search(rf"about {round(needed, -2):,} questions", doc)
