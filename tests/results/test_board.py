"""A leaderboard built from real runs of the bundled data (the `board` fixture, tests/results/conftest.py):
rows per model identity, marked cells, ranking with rows left out and rank intervals, and Δ rows
against the right published row.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow  # the board's runs: eagle-tiny twice and five replays


def _json(eagle, *argv) -> dict:
    result = eagle("table", *argv, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def _rows(document: dict) -> dict[str, dict]:
    return {row["label"]: row for row in document["rows"]}


def test_one_row_per_model_identity(board, eagle):
    document = _json(eagle, board["out"])
    labels = [row["label"] for row in document["rows"]]
    # Two seeds are two rows, told apart by the seed; the copy is no row of its own; the GQA and POPE
    # replays of one model and settings are one row with both columns.
    assert sorted(labels) == ["baseline", "eagle-tiny (seed 1)", "eagle-tiny (seed 2)", "replay of all-yes",
                              "replay of five-of-eight"]
    baseline = _rows(document)["baseline"]
    assert baseline["printed"]["GQA"].startswith("87.5") and baseline["values"]["POPE"] is not None
    assert len(baseline["paths"]) == 3 and str(board["out"] / "copy") in " ".join(baseline["paths"])
    assert all("/tmp" not in label and "__" not in label for label in labels)  # no temp path, no bare hash


def test_labels_given_to_table_win_and_unknown_runs_are_refused(board, eagle):
    failed = board["failed"]
    document = _json(eagle, board["out"], "--label", f"{failed}=five answers")
    assert "five answers" in _rows(document)
    by_id = _json(eagle, board["out"], "--label", f"{failed.name}=by id")
    assert "by id" in _rows(by_id)
    refused = eagle("table", board["out"], "--label", "no-such-run=x")
    assert refused.code == 2 and "no-such-run" in refused.err


def test_the_same_task_with_two_fingerprints_in_one_row_is_a_conflict(board, eagle):
    one, two = sorted((board["out"] / "tiny").iterdir())
    result = eagle("table", one, two, "--label", f"{one}=tiny", "--label", f"{two}=tiny")
    # Both seeds give the same model fingerprint and the same answers: one row, no conflict.
    assert result.code == 0, result.err
    clash = eagle("table", one, board["failed"], "--label", f"{one}=same", "--label", f"{board['failed']}=same")
    assert clash.code == 2
    assert "task gqa" in clash.err and one.name in clash.err and board["failed"].name in clash.err


def test_failed_samples_are_marked_and_strict_refuses_them(board, eagle):
    row = _rows(_json(eagle, board["out"]))["replay of five-of-eight"]
    assert row["failed"] == {"GQA": 3} and row["marks"]["GQA"].endswith("✗3") and row["printed"]["GQA"] == "50.0§✗3"
    markdown = eagle("table", board["out"]).out
    assert "50.0§✗3" in markdown and "✗ N samples failed" in markdown
    strict = eagle("table", board["out"], "--strict")
    assert strict.code == 2 and board["failed"].name in strict.err and "task gqa: 3 failed samples" in strict.err


def test_a_subset_is_marked_and_not_ranked_against_full_rows_unless_asked(board, eagle):
    document = _json(eagle, board["out"], "--tasks", "pope")
    rows = _rows(document)
    subset = rows["replay of all-yes"]
    assert subset["marks"]["POPE"].startswith("*") and subset["rank"] is None
    assert subset["left_out"].startswith("a subset (--limit 8")
    assert rows["baseline"]["rank"] == 1
    assert any(line.startswith("Not ranked: ") and "replay of all-yes (a subset" in line for line in document["remarks"])
    ranked = _rows(_json(eagle, board["out"], "--tasks", "pope", "--rank-subsets"))
    assert ranked["replay of all-yes"]["rank"] is not None


def test_rank_intervals_from_the_shared_samples_and_ties(board, eagle):
    document = _json(eagle, board["out"], "--tasks", "gqa", "--reference", "Eagle-X5-7B")
    rows = _rows(document)
    # The seeds answer alike: their order is not significant, so they share a rank.
    assert rows["eagle-tiny (seed 1)"]["rank"] == rows["eagle-tiny (seed 2)"]["rank"]
    assert rows["baseline"]["rank_interval"] is not None
    low, high = rows["baseline"]["rank_interval"]
    assert low <= rows["baseline"]["rank"] <= high
    # A published row has no samples: placed by value, marked as such, no interval.
    published = rows["Eagle-X5-7B"]
    assert published["rank_interval"] is None and published["rank_printed"] == f"({published['rank']})"
    assert any(line.startswith("(n) a published row") for line in document["remarks"])


def test_delta_rows_only_against_a_runs_own_model_or_the_rows_named(board, eagle, write_run, tmp_path):
    everything = _json(eagle, board["out"], "--reference", "all")
    assert not [row for row in everything["rows"] if row["kind"] == "delta"]  # no run here has a published row
    named = _json(eagle, board["out"], "--reference", "Eagle-X5-7B")
    deltas = [row["label"] for row in named["rows"] if row["kind"] == "delta"]
    assert "Δ baseline vs Eagle-X5-7B" in deltas and len(deltas) == 5
    own = write_run("eagle-x5-7b", {"gqa": ("GQA", 64.0)}, folder="x5")
    against_all = _json(eagle, own, "--reference", "all")
    assert [row["label"] for row in against_all["rows"] if row["kind"] == "delta"] == ["Δ eagle-x5-7b vs Eagle-X5-7B"]


def test_default_label_is_the_checkpoint_folder_not_its_path(write_run, tmp_path):
    from eagle_eval.results.board import default_label
    from eagle_eval.results.document import load_results

    path = write_run(f"hf:{tmp_path}/checkpoints/my-vlm", {"gqa": ("GQA", 50.0)}, folder="hf")
    assert default_label(load_results(path)) == "my-vlm"
    hub = write_run("hf:llava-hf/llava-1.5-7b-hf", {"gqa": ("GQA", 50.0)}, folder="hub")
    assert default_label(load_results(hub)) == "llava-hf/llava-1.5-7b-hf"
