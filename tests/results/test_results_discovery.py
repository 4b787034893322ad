"""`table DIR` finds every results document under DIR by its content, whatever the file is called."""

from __future__ import annotations

import json

from eagle_eval.results.discovery import find_results_files


def test_table_finds_what_score_output_wrote_under_any_name(toy_world, toy_run, eagle, tmp_path):
    assert toy_run().code == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    scored = tmp_path / "runs" / "rescored" / "res.json"
    result = eagle("score", "--task", "toyqa", "--predictions", run_dir / "samples" / "toyqa.jsonl",
                   "--output", scored)
    assert result.code == 0, result.err
    # JSON beside them that is not a results document: a list, another kind of object, broken text.
    (tmp_path / "runs" / "submission.json").write_text('[{"question_id": 1, "answer": "2"}]')
    (tmp_path / "runs" / "bench.json").write_text('{"preset": "eagle-tiny", "samples": 4}')
    (tmp_path / "runs" / "notes.json").write_text("{not json")

    found = find_results_files([tmp_path / "runs"])
    assert sorted(found) == sorted([run_dir / "results.json", scored])

    table = eagle("table", tmp_path / "runs")
    assert table.code == 0, table.err
    labels = [line.split("|")[2].strip() for line in table.out.splitlines()[2:] if line.startswith("|")]
    assert sorted(labels) == ["replay", "toy-model"]
    assert eagle("table", tmp_path / "runs" / "rescored").code == 0


def test_a_folder_without_results_documents_is_one_line_exit_2(toy_world, eagle, tmp_path):
    (tmp_path / "bench.json").write_text(json.dumps({"preset": "eagle-tiny"}))
    result = eagle("table", tmp_path)
    assert result.code == 2
    assert f"no results.json found under {tmp_path}, nor any other .json file" in result.err
    assert "score --output" in result.err


def test_a_damaged_results_json_is_reported_not_passed_over(toy_world, eagle, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "results.json").write_text("{truncated")
    result = eagle("table", tmp_path)
    assert result.code == 2 and "results.json: not valid JSON" in result.err
