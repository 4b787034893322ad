"""Each task's declared statistics reproduce its own aggregate, and scores files carry what they need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eagle_eval.api.registry import get_task, task_names
from eagle_eval.results.document import load_results
from eagle_eval.run.scoring import Outcome, ScoreOptions, score_task
from eagle_eval.stats import SampleTable, estimate, read_score_rows

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "hub"
LOCAL_TASKS = [name for name in task_names() if not get_task(name).server_scored]


def _mixed_outcomes(docs):
    """Right answers for some docs, nonsense for others, so every statistic sees both."""
    outcomes = {}
    for i, doc in enumerate(docs):
        answer = doc.row.get("answer")
        outcomes[doc.key] = Outcome(str(answer) if i % 3 and isinstance(answer, str) else "xyzzy")
    return outcomes


@pytest.mark.parametrize("name", LOCAL_TASKS)
def test_declared_statistics_reproduce_the_task_aggregate(name, tmp_path):
    task = get_task(name)
    docs = task.load_docs(BUNDLED)
    scoring = score_task(task, docs, _mixed_outcomes(docs), ScoreOptions(subset=False, scores_path=tmp_path / "s.jsonl"))
    block = scoring.result.uncertainty
    assert block is not None and block["unavailable"] == {}, block and block["unavailable"]
    declared = task.statistics()
    assert {name for name in declared if "{}" not in name} <= set(block["metrics"])
    for pattern in (name for name in declared if "{}" in name):
        prefix, suffix = pattern.split("{}")
        groups = [m for m in block["metrics"] if m.startswith(prefix) and m.endswith(suffix)]
        assert groups, f"{pattern} expanded to no group"
        for metric in groups:  # every per-group mean the task reports gets its interval
            assert block["metrics"][metric]["value"] == pytest.approx(scoring.result.metrics[metric])
    headline = block["headline"]
    assert headline["value"] == pytest.approx(scoring.result.headline.value, rel=1e-9, abs=1e-9)
    if headline["interval"] is None:
        # No interval rather than a zero-width one: every resample gave the value (POPE's 4 pictures).
        assert headline["ci_low"] is None and headline["ci_high"] is None and headline["n_units"] < 30
    else:
        assert headline["ci_low"] <= headline["value"] <= headline["ci_high"]
        assert headline["ci_low"] < headline["ci_high"]
    # The scores file alone gives the same estimate (no dataset needed).
    table = SampleTable.from_rows(read_score_rows(tmp_path / "s.jsonl"))
    metric = task.headline_metric
    again = estimate(task.statistics()[metric], table)
    assert again.to_json() == block["metrics"][metric]


@pytest.mark.parametrize("name", task_names())
def test_cluster_key_is_a_required_column(name):
    task = get_task(name)
    if task.cluster_key is not None:
        assert task.cluster_key in task.required_columns


@pytest.mark.parametrize(
    ("name", "units"),
    # Bundled samples: GQA's 8 questions are on 3 pictures, MME's 12 on 6 images, MMBench's 13 rows
    # are 4 questions with their circular copies, POPE's 12 questions on 4 COCO images.
    [("gqa", 3), ("mme", 6), ("mmbench", 4), ("pope", 4), ("vqav2_val", 2)],
)
def test_shared_units_are_read_from_the_data(name, units, tmp_path):
    task = get_task(name)
    docs = task.load_docs(BUNDLED)
    path = tmp_path / "s.jsonl"
    score_task(task, docs, _mixed_outcomes(docs), ScoreOptions(subset=False, scores_path=path))
    rows = read_score_rows(path)
    assert len({row["unit"] for row in rows}) == units < len(rows)
    for column in task.statistic_columns():
        assert all(column in row["fields"] for row in rows)


def test_results_json_round_trips_the_uncertainty_block(tmp_path):
    from eagle_eval.results.document import ModelRecord, RunResults, RunSettings, write_results

    task = get_task("gqa")
    docs = task.load_docs(BUNDLED)
    result = score_task(task, docs, _mixed_outcomes(docs), ScoreOptions(subset=False)).result
    run = RunResults(
        "r",
        "2026-01-01T00:00:00+00:00",
        "eagle-eval score",
        None,
        ModelRecord("m"),
        RunSettings(),
        {"gqa": result},
        {},
        {},
    )
    write_results(tmp_path / "results.json", run)
    block = load_results(tmp_path).results["gqa"].uncertainty
    assert block == json.loads(json.dumps(result.uncertainty))
    assert block["version"] == 2 and block["unit"] == "imageId" and block["headline"]["method"] == "clustered"
