"""`table` reads a run's interval by the one interval rule (eagle_eval.stats.summary): results written
before the rule are cut to the metric's range, and a zero-width interval prints as "n too small"."""

from __future__ import annotations

import json


def _with_headline_estimate(path, **estimate):
    document = json.loads(path.read_text())
    document["results"]["chartqa"]["uncertainty"] = {
        "version": 1, "unit": None, "n_units": 8, "level": 0.95, "metrics": {}, "unavailable": {},
        "headline": {"level": 0.95, "method": "iid", "n_samples": 8, "n_units": 8, **estimate},
    }
    path.write_text(json.dumps(document))


def test_table_reads_results_from_before_the_rule(eagle, write_run):
    path = write_run("m", {"chartqa": ("ChartQA", 75.0)})
    # A normal interval past 100, as written before the rule.
    _with_headline_estimate(path, value=75.0, se=16.37, ci_low=42.92, ci_high=107.08)
    table = eagle("table", path, "--uncertainty", "ci")
    assert table.code == 0 and "75.0 [42.9, 100.0]" in table.out and "107" not in table.out
    # A zero-width interval, printed before as if certain.
    _with_headline_estimate(path, value=100.0, se=0.0, ci_low=100.0, ci_high=100.0)
    for style in ("ci", "se"):
        shown = eagle("table", path, "--uncertainty", style)
        assert "(n too small)" in shown.out, shown.out
        assert "[100.0, 100.0]" not in shown.out and "± 0.0" not in shown.out
