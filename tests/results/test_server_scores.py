"""Recording an evaluation server's score in results.json."""

from __future__ import annotations

import json

import pytest

from eagle_eval.results.document import ResultsError, load_results
from eagle_eval.results.server_scores import record_server_score


def test_server_score_becomes_the_headline(write_run) -> None:
    path = write_run("eagle-x5-7b", {"vqav2": ("VQAv2", None), "pope": ("POPE", 88.0)}, server={"vqav2"})
    entry = record_server_score(path, "vqav2", 83.4, metric="overall", note="EvalAI test-dev phase")
    assert entry["headline"] == {"metric": "overall", "value": 83.4, "units": "percent"}
    run = load_results(path)
    vqav2 = run.results["vqav2"]
    assert vqav2.headline.value == 83.4 and vqav2.server_scored
    assert vqav2.metrics["server_score"]["note"] == "EvalAI test-dev phase"
    assert vqav2.metrics["server_score"]["value"] == 83.4
    # Other tasks are untouched.
    assert run.results["pope"].headline.value == 88.0 and not run.results["pope"].server_scored


def test_metric_defaults_to_the_tasks_headline_metric_and_a_run_folder_is_accepted(write_run) -> None:
    path = write_run("m", {"vizwiz": ("VizWiz", None)}, server={"vizwiz"})
    record_server_score(path.parent, "vizwiz", 50.25)
    headline = json.loads(path.read_text())["results"]["vizwiz"]["headline"]
    assert headline == {"metric": "m", "value": 50.25, "units": "percent"}


def test_the_file_is_replaced_atomically(write_run) -> None:
    path = write_run("m", {"vqav2": ("VQAv2", None)}, server={"vqav2"})
    record_server_score(path, "vqav2", 80.0)
    # Only results.json remains: the temporary file was renamed over it.
    assert sorted(p.name for p in path.parent.iterdir()) == ["results.json"]


@pytest.mark.parametrize("value", [123.0, -1.0, float("nan"), float("inf")])
def test_impossible_percentages_are_refused(write_run, value: float) -> None:
    path = write_run("m", {"vqav2": ("VQAv2", None)}, server={"vqav2"})
    before = path.read_text()
    with pytest.raises(ResultsError, match="server score for vqav2"):
        record_server_score(path, "vqav2", value)
    assert path.read_text() == before


def test_unknown_task_names_the_tasks_in_the_file(write_run) -> None:
    path = write_run("m", {"vqav2": ("VQAv2", None)}, server={"vqav2"})
    with pytest.raises(ResultsError, match="no results for task 'vizwiz'.*vqav2"):
        record_server_score(path, "vizwiz", 50.0)


def test_missing_file_is_an_error(tmp_path) -> None:
    with pytest.raises(ResultsError, match="not found"):
        record_server_score(tmp_path / "nope" / "results.json", "vqav2", 50.0)


def test_a_locally_scored_task_is_not_overwritten(write_run) -> None:
    path = write_run("m", {"vqav2": ("VQAv2", None), "pope": ("POPE", 88.0)}, server={"vqav2"})
    before = path.read_text()
    with pytest.raises(ResultsError, match="pope was scored here.*awaiting one in this file: vqav2"):
        record_server_score(path, "pope", 50.0)
    assert path.read_text() == before
