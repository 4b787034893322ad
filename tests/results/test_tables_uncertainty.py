"""Error bars in the paper table (`table --uncertainty`) and in the terminal summary."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
from lmms_eval.api.metrics import clustered_stderr
from statsmodels.stats.proportion import proportion_confint

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "data" / "hub"

# The baseline example on the bundled GQA sample: 8 questions on 3 pictures (n288870: docs 0-2, n161313:
# 3-5, n436545: 6-7), all right but doc 4 ("shirt" for "t-shirt"): 7/8 = 87.5%. Its clustered standard
# error (Miller's Eq. 4, lmms-eval's clustered_stderr), with d = x − 7/8: Σd² = 7·(1/8)² + (7/8)² = 7/8,
# s²/n = (7/8)/7/8 = 1/64; per picture (Σd)² − Σd² = 6/64, −26/64, 2/64, summing to −18/64, over n² = 64.
# se² = 1/64 − 18/4096 = 46/4096: se = 10.597 points. With 3 pictures (under 30) the interval is not
# the normal 87.5 ± 1.96·10.597 (which passes 100) but Wilson's at the cluster level: 7/8 over Kish's
# effective count of pictures 8² / (3² + 3² + 2²) = 64/22 (docs/statistics.md), from statsmodels.
SCORES = [1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
UNITS = ["n288870"] * 3 + ["n161313"] * 3 + ["n436545"] * 2
SE = 100 * math.sqrt(46 / 4096)
CI_LOW, CI_HIGH = (100 * x for x in proportion_confint(7 / 8 * 64 / 22, 64 / 22, method="wilson"))


def test_the_hand_derived_error_is_lmms_evals():
    assert 100 * clustered_stderr(SCORES, UNITS) == pytest.approx(SE)
    assert round(SE, 1) == 10.6 and 0 < CI_LOW < 87.5 < CI_HIGH < 100


@pytest.fixture
def scored(eagle, tmp_path):
    result = eagle("score", "--task", "gqa", "--predictions", ROOT / "docs" / "examples" / "gqa_baseline.jsonl",
                   "--data-root", BUNDLED, "--output", tmp_path / "run" / "results.json", "--no-progress")  # fmt: skip
    assert result.code == 0, result.err
    return result, tmp_path / "run"


def test_terminal_summary_shows_standard_error_and_interval(scored):
    from eagle_eval.stats.summary import headline_error_text

    result, run = scored
    block = json.loads((run / "results.json").read_text())["results"]["gqa"]["uncertainty"]
    headline = block["headline"]
    assert headline["se"] == pytest.approx(SE) and headline["ci_low"] == pytest.approx(CI_LOW)
    # Wilson's interval stays within 0-100% without being cut.
    assert headline["ci_high"] == pytest.approx(CI_HIGH) and headline["interval"] == "wilson-units"
    assert headline_error_text(block, "percent") == (f"± {SE:.1f}", f"[{CI_LOW:.1f}, {CI_HIGH:.1f}]")
    assert headline_error_text(None, "percent") == ("", "")
    assert "±" in result.out and "95% CI" in result.out
    assert "clustered where questions share an image" in result.out


def test_table_prints_value_plus_minus_se_or_the_interval(eagle, scored):
    _, run = scored
    plain = eagle("table", run)
    assert "±" not in plain.out and "87.5" in plain.out
    with_se = eagle("table", run, "--uncertainty", "se")
    assert "87.5 ± 10.6" in with_se.out and "one standard error" in with_se.out
    with_ci = eagle("table", run, "--uncertainty", "ci")
    assert f"87.5 [{CI_LOW:.1f}, {CI_HIGH:.1f}]" in with_ci.out and "95% interval" in with_ci.out
    latex = eagle("table", run, "--uncertainty", "se", "--format", "latex")
    assert r"87.5 $\pm$ 10.6" in latex.out
    table = list(
        csv.DictReader(io.StringIO(eagle("table", run, "--uncertainty", "se", "--format", "csv").out))
    )
    assert float(table[0]["GQA se"]) == pytest.approx(SE) and table[0]["GQA"] == "87.5"
    assert float(table[0]["GQA ci_low"]) == pytest.approx(CI_LOW) and float(table[0]["GQA ci_high"]) == pytest.approx(CI_HIGH)


def test_results_without_uncertainty_print_as_before(eagle, write_run):
    path = write_run("m", {"textvqa": ("TextVQA", 71.2)})
    shown = eagle("table", path, "--uncertainty", "se")
    assert shown.code == 0 and "71.2" in shown.out and "±" not in shown.out
