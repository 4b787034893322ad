"""Resume: torn lines, fingerprints that invalidate stale predictions, retried errors."""

from __future__ import annotations

import json
from pathlib import Path

from eagle_eval.api import registry
from eagle_eval.results.samples import read_samples, repair_samples_file
from tests.conftest import one_line_exit_2, only_run_dir, samples_without_seconds


def scores_of(run_dir: Path) -> dict:
    results = json.loads((run_dir / "results.json").read_text())
    return {name: (r["headline"], r["metrics"], r["n_samples"], r["n_errors"]) for name, r in results["results"].items()}


def test_resume_after_a_torn_line_redoes_only_the_missing_docs(toy_world, toy_run, tmp_path):
    assert toy_run("--batch-size", "2").code == 0
    run_dir = only_run_dir(tmp_path / "runs")
    samples_path = run_dir / "samples" / "toyqa.jsonl"
    complete = samples_path.read_bytes()
    complete_lines = samples_without_seconds(samples_path)
    before = scores_of(run_dir)

    # Keep 6 whole lines and half of the 7th: a run killed mid-write.
    lines = complete.splitlines(keepends=True)
    samples_path.write_bytes(b"".join(lines[:6]) + lines[6][: len(lines[6]) // 2])
    lost = {json.loads(line)["doc_id"] for line in lines[6:]}

    adapter = toy_world.new_adapter()
    assert toy_run("--batch-size", "2").code == 0
    assert sorted(key[2] for key in adapter.generated_keys) == sorted(lost)
    assert scores_of(run_dir) == before
    # Same order: the redone docs are the last ones in length order; the kept lines are untouched.
    assert samples_without_seconds(samples_path) == complete_lines
    assert samples_path.read_bytes().startswith(b"".join(lines[:6]))


def test_a_complete_run_resumes_without_calling_the_model(toy_world, toy_run, tmp_path):
    assert toy_run().code == 0
    adapter = toy_world.new_adapter()
    assert toy_run().code == 0
    assert adapter.calls == []


def test_changed_prompt_invalidates_stored_predictions(toy_world, toy_run, tmp_path):
    assert toy_run().code == 0

    class Reworded(registry._TASKS["toyqa"]):
        suffix = "\nAnswer with digits only."

    registry.register_task(Reworded)
    adapter = toy_world.new_adapter()
    assert toy_run().code == 0
    assert len(adapter.generated_keys) == 10
    records = read_samples(only_run_dir(tmp_path / "runs") / "samples" / "toyqa.jsonl")
    assert len(records) == 20 and len({r.fingerprint for r in records}) == 20


def test_changed_model_revision_invalidates_stored_predictions(toy_world, toy_run, tmp_path):
    assert toy_run().code == 0
    adapter = toy_world.new_adapter(revision="r2")
    assert toy_run().code == 0
    assert len(adapter.generated_keys) == 10


def test_failed_samples_are_retried_on_resume(toy_world, toy_run, tmp_path):
    toy_world.new_adapter(fail_doc_ids={4, 5})
    assert toy_run("--batch-size", "4").code == 3
    adapter = toy_world.new_adapter()
    result = toy_run("--batch-size", "4")
    assert result.code == 0, result.err
    assert sorted(k[2] for k in adapter.generated_keys) == [4, 5]
    results = json.loads((only_run_dir(tmp_path / "runs") / "results.json").read_text())
    assert results["n_errors"] == 0 and results["results"]["toyqa"]["headline"]["value"] == 60.0


def test_repair_drops_a_tail_without_newline(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": 3')
    assert repair_samples_file(path) == len('{"a": 3')
    assert path.read_text() == '{"a": 1}\n{"a": 2}\n'


def test_repair_drops_an_invalid_last_line_and_keeps_good_files(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"a": 1}\n{"a": \n')
    assert repair_samples_file(path) == len('{"a": \n')
    assert path.read_text() == '{"a": 1}\n'
    assert repair_samples_file(path) == 0
    only_torn = tmp_path / "t.jsonl"
    only_torn.write_text('{"a"')
    repair_samples_file(only_torn)
    assert only_torn.read_bytes() == b""


def test_corrupt_line_inside_the_samples_file_is_an_input_error(toy_world, toy_run, tmp_path):
    assert toy_run().code == 0
    samples_path = only_run_dir(tmp_path / "runs") / "samples" / "toyqa.jsonl"
    lines = samples_path.read_text().splitlines(keepends=True)
    lines[2] = "not json\n"
    samples_path.write_text("".join(lines))
    assert f"{samples_path}:3: invalid JSON" in one_line_exit_2(toy_run())
