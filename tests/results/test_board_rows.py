"""Board rows from small runs: a run's recorded label survives a resume, data drift is marked, an
--offset window is a subset, and `--tasks all` adds the tasks outside the paper's table."""

from __future__ import annotations

import json

from tests.conftest import only_run_dir


def _board(eagle, *argv) -> dict:
    result = eagle("table", *argv, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_a_run_label_is_recorded_and_kept_when_the_run_resumes(toy_world, toy_run, eagle, tmp_path):
    assert toy_run("--label", "my model").code == 0
    run = only_run_dir(tmp_path / "runs")
    assert json.loads((run / "results.json").read_text())["label"] == "my model"
    assert toy_run(tasks="toyqa,toypope").code == 0  # the same run, resumed with another task, no --label
    assert json.loads((run / "results.json").read_text())["label"] == "my model"
    assert [row["label"] for row in _board(eagle, run)["rows"]] == ["my model"]


def _content(path, task: str, content_hash: str) -> None:
    data = json.loads(path.read_text())
    data["results"][task]["sources"] = [{"repo": "lmms-lab/x", "config": None, "split": "test", "revision": "a" * 40,
                                         "provenance": {"commit": "a" * 40, "content_hash": content_hash},
                                         "pinned": True}]
    path.write_text(json.dumps(data))


def test_data_that_differs_between_rows_is_marked(toy_world, eagle, write_run, tmp_path):
    one = write_run("a", {"textvqa": ("TextVQA", 50.0), "pope": ("POPE", 80.0)})
    two = write_run("b", {"textvqa": ("TextVQA", 60.0), "pope": ("POPE", 70.0)})
    _content(one, "textvqa", "sha256:1111")
    _content(two, "textvqa", "sha256:2222")
    _content(one, "pope", "sha256:3333")
    _content(two, "pope", "sha256:3333")
    board = _board(eagle, tmp_path)
    marks = {row["label"]: row["marks"] for row in board["rows"]}
    assert marks == {"a": {"TextVQA": "≈"}, "b": {"TextVQA": "≈"}}
    assert "data drift" in board["notes"]["≈"]
    latex = eagle("table", tmp_path, "--format", "latex").out
    assert r"50.0$^\approx$" in latex and r"% $\approx$ data drift" in latex


def test_an_offset_window_is_a_subset_and_all_shows_every_task(toy_world, toy_run, eagle, write_run, tmp_path):
    assert toy_run("--offset", "1", "--limit", "2", output_dir=tmp_path / "offset").code == 0
    row = _board(eagle, tmp_path / "offset", "--tasks", "all")["rows"][0]
    assert row["marks"] and all(mark.startswith("*") for mark in row["marks"].values())
    path = write_run("m", {"textvqa": ("TextVQA", 71.0), "textvqa_noocr": (None, 60.0)}, folder="variants")
    everything = _board(eagle, path, "--tasks", "all")
    assert everything["columns"][-1] == "textvqa_noocr" and everything["rows"][0]["printed"]["textvqa_noocr"] == "60.0"
    assert "textvqa_noocr" not in _board(eagle, path, "--tasks", "paper")["columns"]


def test_subsets_are_ranked_against_each_other_but_not_beside_a_full_split(toy_world, eagle, write_run, tmp_path):
    write_run("a", {"textvqa": ("TextVQA", 50.0)}, subset={"textvqa"}, folder="subsets/a")
    write_run("b", {"textvqa": ("TextVQA", 60.0)}, subset={"textvqa"}, folder="subsets/b")
    alone = _board(eagle, tmp_path / "subsets")
    assert [(row["label"], row["rank"]) for row in alone["rows"]] == [("b", 1), ("a", 2)]
    beside = _board(eagle, tmp_path / "subsets", "--reference", "Eagle-X5-7B")
    ranks = {row["label"]: (row["rank"], row["left_out"]) for row in beside["rows"] if row["kind"] != "delta"}
    assert ranks["Eagle-X5-7B"] == (1, None) and ranks["a"][0] is None and ranks["a"][1].startswith("a subset")
