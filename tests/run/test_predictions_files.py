"""Predictions files that would lie are refused: two answers for one doc, or docs left out.

A repeated doc id used to let the last line win silently, and missing doc ids were scored as a subset
with exit 0 under a footnote about --limit. Now a repeat is an input error naming both lines (a retry
after a failed attempt, and a regenerated line in our samples files, stay allowed), and a file that
leaves docs out is refused unless `--allow-subset`, which results.json and the tables then state.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eagle_eval.data.fixtures import pope as pope_fixture
from eagle_eval.results.samples import SamplesFileError, read_predictions

TRUTHS = [answer for _, answer, _, _ in pope_fixture.ROWS]


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    pope_fixture.write(tmp_path / "hub")
    return tmp_path / "hub"


def write_lines(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def score(eagle, hub: Path, predictions: Path, *extra):
    return eagle("score", "--task", "pope", "--predictions", predictions, "--data-root", hub, "--no-progress", *extra)


def test_a_repeated_doc_id_is_refused_naming_both_lines(eagle, hub, tmp_path):
    lines = [{"doc_id": i, "prediction": truth} for i, truth in enumerate(TRUTHS)]
    lines.append({"doc_id": 3, "prediction": "yes"})  # line 13 answers doc 3 again
    predictions = write_lines(tmp_path / "p.jsonl", lines)
    result = score(eagle, hub, predictions)
    assert result.code == 2
    assert f"{predictions}:13: doc_id 3 already has a prediction on line 4" in result.err
    replayed = eagle("run", "--model", "replay", "--predictions", predictions, "--tasks", "pope", "--data-root", hub,
                     "--output-dir", tmp_path / "runs", "--no-progress")  # fmt: skip
    assert replayed.code == 2 and "already has a prediction on line 4" in replayed.err


def test_a_retry_after_a_failure_and_a_regenerated_sample_are_not_repeats(tmp_path):
    retried = write_lines(tmp_path / "retry.jsonl", [
        {"doc_id": 0, "prediction": None, "error": "timeout"}, {"doc_id": 0, "prediction": "yes"},
    ])  # fmt: skip
    assert [p.prediction for p in read_predictions(retried)] == [None, "yes"]
    sample = {"task": "pope", "split": "test", "doc_id": 0, "error": None, "seconds": None}
    regenerated = write_lines(tmp_path / "samples.jsonl", [
        {**sample, "fingerprint": "old", "prediction": "no"}, {**sample, "fingerprint": "new", "prediction": "yes"},
    ])  # fmt: skip
    assert len(read_predictions(regenerated)) == 2
    twice = write_lines(tmp_path / "twice.jsonl", [
        {**sample, "fingerprint": "same", "prediction": "no"}, {**sample, "fingerprint": "same", "prediction": "yes"},
    ])  # fmt: skip
    with pytest.raises(SamplesFileError, match="twice.jsonl:2: doc_id 0 of split 'test' already has a prediction on line 1"):
        read_predictions(twice)


def test_missing_doc_ids_are_refused_unless_allowed_and_then_said_in_words(eagle, hub, tmp_path):
    lines = [{"doc_id": i, "prediction": truth} for i, truth in enumerate(TRUTHS) if i not in (4, 7, 11)]
    predictions = write_lines(tmp_path / "p.jsonl", lines)
    refused = score(eagle, hub, predictions)
    assert refused.code == 2
    assert "no prediction for 3 of the 12 pope docs (first: test/4, test/7, test/11)" in refused.err
    assert "--allow-subset" in refused.err

    output = tmp_path / "out" / "results.json"
    allowed = score(eagle, hub, predictions, "--allow-subset", "--output", output)
    assert allowed.code == 0, allowed.err
    assert "--allow-subset: the predictions cover 9 of 12 docs" in allowed.out and "--limit" not in allowed.out
    pope = json.loads(output.read_text())["results"]["pope"]
    assert pope["subset"] is True and pope["n_samples"] == 9
    assert pope["subset_reason"] == "--allow-subset: the predictions cover 9 of 12 docs"
    table = eagle("table", output)
    assert table.code == 0 and "¶" in table.out
    assert "predictions that cover only part of the data (--allow-subset)" in table.out and "(--limit)" not in table.out


def test_a_limited_run_says_limit_in_its_results(toy_world, toy_run, tmp_path):
    assert toy_run("--limit", "4").code == 0
    (run_dir,) = list((tmp_path / "runs").iterdir())
    toyqa = json.loads((run_dir / "results.json").read_text())["results"]["toyqa"]
    assert toyqa["subset"] is True and toyqa["subset_reason"] == "--limit 4: 4 docs"
