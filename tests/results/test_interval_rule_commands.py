"""Every command that prints a run's score interval prints the same one, within the metric's range.

The bundled ChartQA sample has 8 questions, each its own unit. All 8 right is 100% with a Wilson
interval of [100·8/(8 + z²), 100] = [67.6, 100.0] (z = 1.96; statsmodels' proportion_confint gives
the same), never a zero-width [100.0, 100.0] and never past 100.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "data" / "hub"
Z2 = norm.ppf(0.975) ** 2
LOW_8_OF_8 = 100 * 8 / (8 + Z2)
BRACKETS = re.compile(r"\[\s*([+-]?\d+(?:\.\d+)?),\s*([+-]?\d+(?:\.\d+)?)\s*\]")


def _answers() -> list[str]:
    from eagle_eval.api.registry import get_task

    return [doc.row["answer"] for doc in get_task("chartqa").load_docs(BUNDLED)]


def _score(eagle, tmp_path: Path, name: str, wrong: set[int]):
    predictions = tmp_path / f"{name}.jsonl"
    lines = [{"doc_id": i, "prediction": "no idea" if i in wrong else answer} for i, answer in enumerate(_answers())]
    predictions.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = eagle("score", "--task", "chartqa", "--predictions", predictions, "--data-root", BUNDLED,
                   "--output", tmp_path / name / "results.json", "--no-progress")  # fmt: skip
    assert result.code == 0, result.err
    return result, tmp_path / name


def _within_range(text: str, low: float, high: float) -> list[tuple[float, float]]:
    found = [(float(a), float(b)) for a, b in BRACKETS.findall(text)]
    for a, b in found:
        assert low <= a < b <= high, (a, b, text)
    return found


def test_wilson_figure_is_statsmodels():
    wilson_low = 100 * proportion_confint(8, 8, method="wilson")[0]
    assert wilson_low == pytest.approx(LOW_8_OF_8)


@pytest.fixture
def runs(eagle, tmp_path, monkeypatch):
    from eagle_eval.cli.common import out_console

    monkeypatch.setattr(out_console, "width", 200)  # the summary's columns whole, not wrapped
    new_out, new = _score(eagle, tmp_path, "new", wrong=set())
    _, base = _score(eagle, tmp_path, "base", wrong={0, 1, 4, 5})
    return new_out, new, base


def test_every_command_gives_the_rule_s_interval(eagle, runs, tmp_path):
    new_out, new, base = runs
    stored = json.loads((new / "results.json").read_text())["results"]["chartqa"]["uncertainty"]
    headline = stored["headline"]
    assert headline["interval"] == "wilson" and stored["version"] == 2
    assert (headline["ci_low"], headline["ci_high"]) == (pytest.approx(LOW_8_OF_8), 100.0)

    # run / score: the terminal summary.
    assert "[67.6, 100.0]" in new_out.out and _within_range(new_out.out, 0, 100)
    assert "± 0.0" not in new_out.out  # 8 of 8 right: no spread, so no standard error is shown as certain
    # table.
    table = eagle("table", new, "--uncertainty", "ci")
    assert table.code == 0 and "100.0 [67.6, 100.0]" in table.out
    _within_range(table.out, 0, 100)
    # compare: its interval is of the paired difference (+50 here), within [-100, +100].
    compared = eagle("compare", new, "--baseline", base)
    assert compared.code in (0, 1), compared.err
    assert _within_range(compared.out, -100, 100)
    # report JSON.
    out = tmp_path / "report.json"
    report = eagle("report", new, "--format", "json", "-o", out, "--data-root", BUNDLED, "--no-images")
    assert report.code == 0, report.err
    interval = json.loads(out.read_text())["tasks"][0]["interval"]
    assert (interval["low"], interval["high"]) == (pytest.approx(LOW_8_OF_8), 100.0)
    assert "wilson" in interval["method"]
    # power prints no interval of a run's score; whatever it brackets stays in range.
    power = eagle("power", new)
    _within_range(power.out, 0, 100)


def _as_before_the_rule(run: Path, **headline) -> None:
    """Rewrite the run's ChartQA estimate as a version-1 block (written before the interval rule)."""
    document = json.loads((run / "results.json").read_text())
    block = document["results"]["chartqa"]["uncertainty"]
    block["version"] = 1
    block["headline"] = {"value": 75.0, "level": 0.95, "method": "iid", "n_samples": 8, "n_units": 8,
                         "resamples": None, "seed": None, **headline}
    (run / "results.json").write_text(json.dumps(document))


def _report_interval(eagle, run: Path, out: Path):
    assert eagle("report", run, "--format", "json", "-o", out, "--data-root", BUNDLED, "--no-images").code == 0
    return json.loads(out.read_text())["tasks"][0]["interval"]


def test_results_from_before_the_rule_are_read_by_it(eagle, runs, tmp_path):
    from eagle_eval.results.document import load_results
    from eagle_eval.stats.summary import headline_error_text

    _, new, _ = runs
    # A normal interval past 100 (the shape `compare` once printed), no rule named: cut at 100.
    _as_before_the_rule(new, se=16.37, ci_low=42.92, ci_high=107.08)
    assert _report_interval(eagle, new, tmp_path / "r.json")["high"] == 100.0
    block = load_results(new).results["chartqa"].uncertainty
    assert headline_error_text(block, "percent") == ("± 16.4", "[42.9, 100.0]")
    # A zero-width interval written as if certain is no interval: "n too small".
    _as_before_the_rule(new, value=100.0, se=0.0, ci_low=100.0, ci_high=100.0)
    assert _report_interval(eagle, new, tmp_path / "r.json") is None
    block = load_results(new).results["chartqa"].uncertainty
    assert headline_error_text(block, "percent") == ("", "n too small")
