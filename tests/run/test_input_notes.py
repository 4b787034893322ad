"""An adapter's per-request input notes (Eagle: input truncation) reach samples.jsonl and results.json."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from eagle_eval.core.records import ModelInfo, Request
from eagle_eval.results.document import load_results
from eagle_eval.run.runner import RunConfig, run_evaluation


def truncating(base: type) -> type:
    """The toy adapter, saying the input of every odd doc was cut (as EagleAdapter does for rows past
    the checkpoint's limit)."""

    class TruncatingToyAdapter(base):
        def info(self) -> ModelInfo:
            return replace(super().info(), settings={"input_max_length": 64})

        def generate(self, requests: Sequence[Request]) -> list[str]:
            answers = super().generate(requests)
            notes = tuple({"input_positions": 70 if r.doc_id % 2 else 10,
                           "input_truncated": bool(r.doc_id % 2)} for r in requests)
            self.call_stats = replace(self.call_stats, notes=notes)
            return answers

    return TruncatingToyAdapter


def test_notes_are_recorded_per_sample_and_counted_per_task(toy_world, tmp_path):
    TruncatingToyAdapter = truncating(type(toy_world.adapter))  # noqa: N806
    adapter = TruncatingToyAdapter()
    config = RunConfig(model="toy", tasks=["toyqa"], output_dir=tmp_path, show_progress=False)
    outcome = run_evaluation(config, adapter=adapter)
    samples = [json.loads(line) for line in (outcome.run_dir / "samples" / "toyqa.jsonl").read_text().splitlines()]
    assert {s["doc_id"]: s["notes"]["input_truncated"] for s in samples} == {i: bool(i % 2) for i in range(10)}
    assert outcome.results.results["toyqa"].n_input_truncated == 5
    again = load_results(outcome.results_path)
    assert again.results["toyqa"].n_input_truncated == 5
    assert again.model.settings == {"input_max_length": 64}
    # A resumed run keeps the stored notes of the samples it does not regenerate.
    resumed = run_evaluation(config, adapter=TruncatingToyAdapter())
    assert resumed.results.results["toyqa"].n_input_truncated == 5


def test_adapters_without_notes_write_none(toy_world, tmp_path):
    config = RunConfig(model="toy", tasks=["toyqa"], output_dir=tmp_path, show_progress=False)
    outcome = run_evaluation(config)
    lines = (outcome.run_dir / "samples" / "toyqa.jsonl").read_text().splitlines()
    assert all("notes" not in json.loads(line) for line in lines)
    assert outcome.results.results["toyqa"].n_input_truncated == 0
    assert json.loads(outcome.results_path.read_text())["model"]["settings"] == {}
