"""End-to-end runs with the in-test task and adapter (tests/conftest.py)."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest

from eagle_eval.api import registry
from eagle_eval.run.batching import is_out_of_memory
from eagle_eval.run.fingerprints import compute_run_id
from eagle_eval.run.runner import RunConfig, run_evaluation
from tests.conftest import only_run_dir, samples_without_seconds

SAMPLE_KEYS = ["task", "split", "doc_id", "fingerprint", "prediction", "error", "seconds"]
SCORE_KEYS = ["split", "doc_id", "prediction", "values", "extraction", "parsed", "unit"]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def qa_fingerprint(results: dict) -> str:
    return results["results"]["toyqa"]["model_fingerprint"]


def test_run_writes_samples_scores_and_results(toy_world, toy_run, tmp_path):
    result = toy_run(tasks="toyqa,toypope")
    assert result.code == 0, result.err
    run_dir = only_run_dir(tmp_path / "runs")
    assert run_dir.name.startswith("toy-model__") and len(run_dir.name) == len("toy-model__") + 8

    samples = read_jsonl(run_dir / "samples" / "toyqa.jsonl")
    assert len(samples) == 10
    assert all(list(line) == SAMPLE_KEYS for line in samples)
    assert {line["doc_id"] for line in samples} == set(range(10))
    assert all(line["error"] is None for line in samples)
    # Each generated sample carries its share of its batch's time inside the adapter's generate.
    assert all(isinstance(line["seconds"], float) and line["seconds"] > 0 for line in samples)
    scores = read_jsonl(run_dir / "scores" / "toyqa.jsonl")
    assert [list(line) for line in scores] == [SCORE_KEYS] * 10
    assert [line["doc_id"] for line in scores] == list(range(10))  # scores in doc order

    results = json.loads((run_dir / "results.json").read_text())
    assert results["schema_version"] == 1
    assert results["run_id"] == run_dir.name
    assert results["command"].startswith("eagle-eval run --model toy-model --tasks toyqa,toypope")
    # The toy model's hub id is in no hub cache: what its weights were is unknown, so it is unpinned.
    weights = results["model"].pop("provenance")
    assert weights["commit"] == weights["content_hash"] == "unknown" and results["model"].pop("pinned") is False
    fingerprint = results["model"].pop("fingerprint")
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint) and qa_fingerprint(results) == fingerprint
    assert results["model"] == {
        "name": "toy-model", "hub_id": "test/toy-model", "revision": "r1", "dtype": "float32", "device": "cpu",
        "settings": {},
        "extra": {},
        "weights": None,  # the toy model reads no checkpoint folder
    }
    assert results["settings"] == {"batch_size": "auto", "limit": None, "data_root": None, "model_args": {},
                                   "offset": 0, "gen_kwargs": None, "predict_only": False}  # the default
    qa = results["results"]["toyqa"]
    # doc_ids 0, 3, 6, 9 answered "wrong": 6 of 10 right.
    assert qa["headline"] == {"metric": "accuracy", "value": 60.0, "units": "percent"}
    assert qa["metrics"]["accuracy"] == pytest.approx(0.6)
    assert qa["n_samples"] == 10 and qa["n_errors"] == 0 and qa["subset"] is False
    assert qa["extraction"] == {"rule": 10, "judge": 0, "unresolved": 0, "fallback": 0, "judge_failed": 0}
    assert qa["timings"]["time_to_first_token_s"] == 0.25
    assert qa["timings"]["samples_per_second"] > 0
    assert qa["server_scored"] is False and qa["submission_file"] is None and qa["judge"] is None
    # ToyPope: answers alternate no/yes exactly as the truth, except doc_ids 0 and 3 ("wrong") in each split.
    assert results["results"]["toypope"]["headline"]["value"] == pytest.approx(50.0)
    assert results["n_errors"] == 0
    assert results["software"]["python"] and "torch" in results["software"]
    assert results["hardware"]["cpu_count"] >= 1 and results["hardware"]["gpus"] == []
    assert "TextVQA" in result.out and "60.0" in result.out


def test_limit_marks_subset(toy_world, toy_run, tmp_path):
    assert toy_run("--limit", "4").code == 0
    results = json.loads((only_run_dir(tmp_path / "runs") / "results.json").read_text())
    qa = results["results"]["toyqa"]
    # first 4 docs: 0 wrong, 1 and 2 right, 3 wrong.
    assert qa["n_samples"] == 4 and qa["subset"] is True and qa["headline"]["value"] == 50.0
    assert results["settings"]["limit"] == 4


def test_samples_files_are_identical_across_runs_but_for_seconds(toy_world, toy_run, tmp_path):
    assert toy_run("--batch-size", "3", output_dir=tmp_path / "a").code == 0
    toy_world.new_adapter()
    assert toy_run("--batch-size", "3", output_dir=tmp_path / "b").code == 0
    a, b = only_run_dir(tmp_path / "a"), only_run_dir(tmp_path / "b")
    assert a.name == b.name
    assert samples_without_seconds(a / "samples" / "toyqa.jsonl") == samples_without_seconds(b / "samples" / "toyqa.jsonl")
    assert (a / "scores" / "toyqa.jsonl").read_bytes() == (b / "scores" / "toyqa.jsonl").read_bytes()


def test_batches_hold_one_task_sorted_by_prompt_length(toy_world, toy_run):
    assert toy_run("--batch-size", "3", tasks="toyqa,toypope").code == 0
    calls = toy_world.adapter.calls
    assert all(len({key[0] for key in batch}) == 1 for batch in calls)
    for task in ("toyqa", "toypope"):
        lengths = [len(t) for batch, texts in zip(calls, toy_world.adapter.texts, strict=True) if batch[0][0] == task for t in texts]
        assert lengths == sorted(lengths)
    assert max(len(batch) for batch in calls) == 3


def test_out_of_memory_halves_the_batch_and_loses_nothing(toy_world, toy_run, tmp_path):
    assert toy_run(output_dir=tmp_path / "ref").code == 0
    reference = json.loads((only_run_dir(tmp_path / "ref") / "results.json").read_text())

    toy_world.new_adapter(oom_above=2)
    result = toy_run("--batch-size", "8", output_dir=tmp_path / "oom")
    assert result.code == 0, result.err
    sizes = [len(batch) for batch in toy_world.adapter.calls]
    assert sizes[:3] == [8, 4, 2]  # 8 fails, 4 fails, then batches of 2
    assert max(sizes[2:]) == 2
    assert sorted(k[2] for k in toy_world.adapter.generated_keys) == list(range(10))
    results = json.loads((only_run_dir(tmp_path / "oom") / "results.json").read_text())
    assert results["results"]["toyqa"]["headline"] == reference["results"]["toyqa"]["headline"]
    assert results["n_errors"] == 0


def test_auto_batch_size_starts_from_the_adapter_suggestion(toy_world, toy_run):
    assert toy_run("--batch-size", "auto").code == 0
    assert [len(b) for b in toy_world.adapter.calls] == [4, 4, 2]


def test_oom_detection_by_class_name_and_message():
    class OutOfMemoryError(RuntimeError):
        pass

    class Subclass(OutOfMemoryError):
        pass

    assert is_out_of_memory(OutOfMemoryError("x")) and is_out_of_memory(Subclass("x"))
    assert is_out_of_memory(RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB"))
    assert not is_out_of_memory(ValueError("out of range"))


def test_per_sample_failures_are_recorded_and_exit_3(toy_world, toy_run, tmp_path, monkeypatch):
    monkeypatch.setattr(toy_world.adapter, "fail_doc_ids", {4})
    monkeypatch.setattr(toy_world, "adapter", toy_world.adapter)
    corrupt = type("CorruptToyQA", (registry._TASKS["toyqa"],), {"corrupt_images": frozenset({7})})
    registry.register_task(corrupt)
    result = toy_run("--batch-size", "4")
    assert result.code == 3
    assert "2 sample(s) failed" in result.err
    run_dir = only_run_dir(tmp_path / "runs")
    samples = {line["doc_id"]: line for line in read_jsonl(run_dir / "samples" / "toyqa.jsonl")}
    assert len(samples) == 10
    assert samples[4]["prediction"] is None and "generation failed on doc 4" in samples[4]["error"]
    assert samples[7]["prediction"] is None and "building the request failed: OSError" in samples[7]["error"]
    # The batch holding doc 4 was retried one by one: its batch-mates kept their answers.
    assert all(samples[i]["error"] is None for i in samples if i not in (4, 7))
    qa = json.loads((run_dir / "results.json").read_text())["results"]["toyqa"]
    # Errors score as the empty prediction: right ones are 1, 2, 5, 8 → 40 %; unresolved counts both.
    assert qa["n_errors"] == 2 and qa["headline"]["value"] == 40.0
    assert qa["extraction"]["unresolved"] == 2


def test_server_scored_task_writes_submission_and_has_no_headline(toy_world, toy_run, tmp_path):
    written = []

    class ServerToyQA(registry._TASKS["toyqa"]):
        server_scored = True

        def write_submission(self, scored, path):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps([{"question_id": s.doc.doc_id, "answer": s.prediction} for s in scored]))
            written.append(path)
            return path

    registry.register_task(ServerToyQA)
    assert toy_run().code == 0
    qa = json.loads((only_run_dir(tmp_path / "runs") / "results.json").read_text())["results"]["toyqa"]
    assert qa["server_scored"] is True and qa["headline"]["value"] is None
    assert qa["submission_file"] == str(written[0])
    assert len(json.loads(written[0].read_text())) == 10


def test_judge_comes_from_the_judge_module_when_present(toy_world, tmp_path, monkeypatch):
    seen = []

    class Judge:
        model = "judge-model"
        base_url = "http://localhost:9/v1"

    class JudgedToyQA(registry._TASKS["toyqa"]):
        uses_judge = True

        def score(self, doc, prediction, judge=None):
            seen.append(judge)
            return super().score(doc, prediction)

    registry.register_task(JudgedToyQA)
    module = types.ModuleType("eagle_eval.judge.llm_judge")
    module.judge_from_environment = lambda: Judge()
    monkeypatch.setitem(sys.modules, "eagle_eval.judge.llm_judge", module)
    config = RunConfig(model="toy", tasks=["toyqa"], output_dir=tmp_path, show_progress=False)
    outcome = run_evaluation(config)
    assert all(isinstance(j, Judge) for j in seen) and len(seen) == 10
    assert outcome.results.results["toyqa"].judge == {"model": "judge-model", "base_url": "http://localhost:9/v1"}


def test_run_id_names_the_model_and_checkpoint_asked_for(toy_world, tmp_path):
    base = RunConfig(model="toy-model", tasks=["toyqa", "toypope"])
    same = RunConfig(model="toy", tasks=["toypope", "toyqa"], batch_size=8)  # alias, order, batch size
    assert compute_run_id(base) == compute_run_id(same)
    # A run directory grows by tasks and docs; dtype and device are judged per sample once resolved.
    for grown in ({"tasks": ["toyqa"]}, {"limit": 5}, {"dtype": "bfloat16"}, {"device": "cpu"}):
        assert compute_run_id(base) == compute_run_id(RunConfig(**{"model": "toy-model", "tasks": ["toyqa"], **grown}))
    assert compute_run_id(base) != compute_run_id(RunConfig(model="toy-model", tasks=["toyqa"], revision="r2"))
    assert compute_run_id(base) != compute_run_id(RunConfig(model="toy-model", tasks=["toyqa"], model_path=str(tmp_path)))
