"""A synthetic run directory of any size, in the exact files `eagle-eval run` writes.

For checking that the report stays responsive at 10,000+ samples without generating them with a
model. Sample i of a task is correct when i % 3 != 0, so a task of n samples has n - ceil(n / 3)
correct ones; a `shift` moves which samples are correct, which makes a second run differ from the
first on known samples (the flips of a baseline comparison).
"""

from __future__ import annotations

from pathlib import Path

from eagle_eval.core.output_files import write_text_atomic
from eagle_eval.results.document import (
    Headline,
    ModelRecord,
    RunResults,
    RunSettings,
    TaskResult,
    write_results,
)
from eagle_eval.results.samples import SampleRecord, write_jsonl_atomic


def is_correct(index: int, shift: int = 0) -> bool:
    return (index + shift) % 3 != 0


def write_synthetic_run(root: Path, n_samples: int, task: str = "pope", shift: int = 0, run_id: str = "synthetic__00000000") -> Path:
    """Write root/run_id with one task of n_samples; returns the run directory."""
    run_dir = root / run_id
    samples, scores = [], []
    for index in range(n_samples):
        correct = is_correct(index, shift)
        prediction = "yes" if correct else f"no, sample {index} shows something else"
        samples.append(SampleRecord(task, "test", index, f"{index:016x}", prediction).to_line())
        scores.append(
            {
                "split": "test",
                "doc_id": index,
                "prediction": prediction,
                "values": {"accuracy": float(correct)},
                "extraction": "rule",
                "parsed": "yes" if correct else "no",
            }
        )
    write_text_atomic(run_dir / "samples" / f"{task}.jsonl", "".join(samples))
    write_jsonl_atomic(run_dir / "scores" / f"{task}.jsonl", scores)
    accuracy = sum(is_correct(i, shift) for i in range(n_samples)) / n_samples
    result = TaskResult(
        task=task,
        paper_column="POPE",
        headline=Headline("accuracy", accuracy * 100, "percent"),
        metrics={"accuracy": accuracy},
        n_samples=n_samples,
        n_errors=0,
        subset=False,
        extraction={"rule": n_samples, "judge": 0, "unresolved": 0, "fallback": 0},
    )
    run = RunResults(
        run_id=run_id,
        created_at="2025-01-01T00:00:00+00:00",
        command="eagle-eval run --model synthetic --tasks " + task,
        seed=1234,
        model=ModelRecord(name="synthetic"),
        settings=RunSettings(batch_size=1),
        results={task: result},
        software={},
        hardware={},
    )
    write_results(run_dir / "results.json", run)
    return run_dir

