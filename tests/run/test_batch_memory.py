"""--batch-size auto and CUDA out-of-memory: halve, retry the same requests, lose nothing, answer once.

tests/run/test_runner.py covers halving with a stand-in error class; here the adapter raises torch's own
torch.cuda.OutOfMemoryError (constructible on CPU), the reduced size carries over to the next task,
and a sample that does not fit even alone is recorded as failed while the run goes on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from eagle_eval.api import registry
from eagle_eval.core.records import ModelInfo, Request

from ..conftest import ToyAdapter


@dataclass
class OutOfMemoryAbove:
    """Wraps an adapter; raises torch.cuda.OutOfMemoryError for batches larger than `fits`."""

    inner: ToyAdapter
    fits: int
    never_fits: set[int] = field(default_factory=set)  # doc_ids that fail even alone
    attempts: list[int] = field(default_factory=list)
    answered: list[tuple[str, str, int]] = field(default_factory=list)

    def info(self) -> ModelInfo:
        return self.inner.info()

    def suggested_batch_size(self) -> int:
        return 8

    def generate(self, requests: Sequence[Request]) -> list[str]:
        self.attempts.append(len(requests))
        if len(requests) > self.fits or any(r.doc_id in self.never_fits for r in requests):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.50 GiB")
        self.answered.extend(r.key for r in requests)
        return self.inner.generate(requests)


def register(adapter: OutOfMemoryAbove) -> None:
    registry.register_model(
        registry.ModelEntry(name="oom-model", factory=lambda options: adapter, needs_torch=False)
    )


def test_auto_batch_size_shrinks_on_oom_and_answers_every_sample_once(toy_world, toy_run, tmp_path):
    assert toy_run(tasks="toyqa,toypope", output_dir=tmp_path / "ref").code == 0
    (ref_dir,) = list((tmp_path / "ref").iterdir())
    reference = json.loads((ref_dir / "results.json").read_text())

    adapter = OutOfMemoryAbove(ToyAdapter(), fits=2)
    register(adapter)
    result = toy_run("--batch-size", "auto", tasks="toyqa,toypope", model="oom-model", output_dir=tmp_path / "oom")
    assert result.code == 0, result.err
    # toyqa: 8 and 4 do not fit, then batches of 2 (10 docs); toypope (8 docs) starts at 2 at once.
    assert adapter.attempts == [8, 4] + [2] * 5 + [2] * 4
    assert sorted(adapter.answered) == sorted(
        [("toyqa", "validation", i) for i in range(10)]
        + [("toypope", split, i) for split in ("adversarial", "random") for i in range(4)]
    )  # each exactly once
    (run_dir,) = list((tmp_path / "oom").iterdir())
    results = json.loads((run_dir / "results.json").read_text())
    for task in ("toyqa", "toypope"):
        assert results["results"][task]["headline"] == reference["results"][task]["headline"]
    assert results["settings"]["batch_size"] == "auto" and results["n_errors"] == 0


def test_a_sample_that_never_fits_is_recorded_and_the_run_goes_on(toy_world, toy_run, tmp_path):
    adapter = OutOfMemoryAbove(ToyAdapter(), fits=4, never_fits={5})
    register(adapter)
    result = toy_run("--batch-size", "4", model="oom-model")
    assert result.code == 3 and "1 sample(s) failed" in result.err
    (run_dir,) = list((tmp_path / "runs").iterdir())
    samples = {json.loads(line)["doc_id"]: json.loads(line) for line in (run_dir / "samples" / "toyqa.jsonl").open()}
    assert samples[5]["prediction"] is None and samples[5]["error"].startswith("out of memory at batch size 1")
    assert all(samples[i]["error"] is None for i in range(10) if i != 5)
    assert sorted(k[2] for k in adapter.answered) == [0, 1, 2, 3, 4, 6, 7, 8, 9]
