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
