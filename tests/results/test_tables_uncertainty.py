"""Error bars in the paper table (`table --uncertainty`) and in the terminal summary."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "data" / "hub"


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
    # The interval is cut at 100%: an accuracy cannot exceed it.
    assert headline["ci_high"] == 100.0
    assert headline_error_text(block, "percent") == (
        f"± {headline['se']:.1f}",
        f"[{headline['ci_low']:.1f}, 100.0]",
    )
    assert headline_error_text(None, "percent") == ("", "")
    assert "±" in result.out and "95% CI" in result.out
    assert "clustered where questions share an image" in result.out


def test_table_prints_value_plus_minus_se_or_the_interval(eagle, scored):
    _, run = scored
    headline = json.loads((run / "results.json").read_text())["results"]["gqa"]["uncertainty"]["headline"]
    plain = eagle("table", run)
    assert "±" not in plain.out and "87.5" in plain.out
    with_se = eagle("table", run, "--uncertainty", "se")
    assert f"87.5 ± {headline['se']:.1f}" in with_se.out and "one standard error" in with_se.out
    with_ci = eagle("table", run, "--uncertainty", "ci")
    assert f"87.5 [{headline['ci_low']:.1f}, 100.0]" in with_ci.out and "95% interval" in with_ci.out
    latex = eagle("table", run, "--uncertainty", "se", "--format", "latex")
    assert r"87.5 $\pm$" in latex.out
    table = list(
        csv.DictReader(io.StringIO(eagle("table", run, "--uncertainty", "se", "--format", "csv").out))
    )
    assert float(table[0]["GQA se"]) == pytest.approx(headline["se"]) and table[0]["GQA"] == "87.5"


def test_results_without_uncertainty_print_as_before(eagle, write_run):
    path = write_run("m", {"textvqa": ("TextVQA", 71.2)})
    shown = eagle("table", path, "--uncertainty", "se")
    assert shown.code == 0 and "71.2" in shown.out and "±" not in shown.out
