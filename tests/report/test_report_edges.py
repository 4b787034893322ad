"""The report on damaged or unusual runs: values that are not numbers, replays, other units, long text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eagle_eval.report.fixture_runs import write_synthetic_run


def _rewrite_scores(run_dir: Path, task: str, change) -> None:
    path = run_dir / "scores" / f"{task}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(json.dumps(change(i, row)) + "\n" for i, row in enumerate(rows)), encoding="utf-8")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_a_score_that_is_not_a_number_is_shown_unscored_with_a_note(eagle, tmp_path, bad):
    run_dir = write_synthetic_run(tmp_path, 6)

    def damage(i: int, row: dict) -> dict:
        if i < 2:
            row["values"]["accuracy"] = bad  # json.dumps writes NaN / Infinity, as a damaged file holds them
        return row

    _rewrite_scores(run_dir, "pope", damage)
    for fmt in ("html", "json"):
        out = tmp_path / f"report.{fmt}"
        result = eagle("report", run_dir, "-o", out, "--format", fmt)
        assert result.code == 0, result.err
        assert "Traceback" not in result.err
        assert "2 samples' accuracy in scores/pope.jsonl is NaN or Infinity" in result.err
    view = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    rows = view["samples"]["pope"]
    assert [row["verdict"] for row in rows[:2]] == ["unscored", "unscored"]


def test_a_replayed_run_says_it_made_no_model_calls_instead_of_a_throughput(toy_world, eagle, tmp_path):
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text("".join(json.dumps({"doc_id": i, "prediction": str(2 * i)}) + "\n" for i in range(10)))
    assert eagle("run", "--model", "replay", "--predictions", predictions, "--tasks", "toyqa",
                 "--output-dir", tmp_path / "runs", "--no-progress").code == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert eagle("report", run_dir, "-o", tmp_path / "page.html").code == 0
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert "replayed: no model calls" in page and "samples/s" not in page


def test_paper_deltas_in_other_units_are_charted_on_their_own_scale():
    from eagle_eval.report.charts import paper_delta_chart
    from eagle_eval.report.view import TaskOverview

    def task(name: str, column: str, units: str, delta: float) -> TaskOverview:
        return TaskOverview(name, column, "m", units, 1.0, None, 1.0, delta, 1, 0, 1, False, {}, None, None, None, None)

    svg = paper_delta_chart([task("textvqa", "TextVQA", "percent", -0.4), task("mme", "MME", "mme_points", -1153.0),
                             task("pope", "POPE", "percent", 1.2)], "Eagle-X5-7B")
    assert svg.count("<svg") == 2 and "MME points" in svg
    percent, mme = svg.split('<h4 class="chart-unit">MME points</h4>')
    assert "1153" not in percent and "+1.2" in percent and "-1153" in mme  # each scale is its own
    single = paper_delta_chart([task("pope", "POPE", "percent", 1.2)], "Eagle-X5-7B")
    assert single.count("<svg") == 1 and "chart-unit" not in single
