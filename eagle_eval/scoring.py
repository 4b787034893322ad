"""Scoring predictions of one task: per-sample scores, aggregate metrics, the headline.

Shared by the runner (after generation) and by `eagle-eval score` (no model), so both give the
same numbers for the same predictions. A sample whose generation failed is scored with the empty
prediction "": it counts as wrong, the headline stays over the whole evaluated set (comparable with
the paper's), and the failure is counted in `n_errors`.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eagle_eval.records import Doc, ScoredDoc
from eagle_eval.results import EXTRACTION_PATHS, Headline, TaskResult, Timings
from eagle_eval.samples_io import write_jsonl_atomic
from eagle_eval.task import Task
from eagle_eval.units import unit_of
from eagle_eval.urls import redact_url


@dataclass
class Outcome:
    """What generation produced for one doc: a prediction, or the reason it failed."""

    prediction: str | None
    error: str | None = None


@dataclass
class ScoringResult:
    result: TaskResult
    rows: list[dict[str, Any]] = field(default_factory=list)


def judge_for_task(task: Task) -> Any:
    """The judge client for a task that uses one, from eagle_eval.judge, or None.

    The judge module is optional: when it is not installed, judge tasks score with their rule-based
    extractor and count what stays unresolved (the counts show it in results.json).
    """
    if not task.uses_judge:
        return None
    try:
        module = importlib.import_module("eagle_eval.judge")
    except ModuleNotFoundError as err:
        if err.name != "eagle_eval.judge":
            raise
        return None
    return module.judge_from_environment()


def judge_record(judge: Any) -> dict[str, Any] | None:
    """What results.json says about the judge: its model and endpoint (never a key, even in the URL)."""
    if judge is None:
        return None
    if hasattr(judge, "describe"):
        described = judge.describe()
        model, base_url = described.get("model"), described.get("base_url")
    else:
        model, base_url = getattr(judge, "model", None), getattr(judge, "base_url", None)
    return {"model": model, "base_url": redact_url(base_url) if isinstance(base_url, str) else base_url}


def score_task(
    task: Task,
    docs: Sequence[Doc],
    outcomes: dict[tuple[str, int], Outcome],
    *,
    subset: bool,
    judge: Any = None,
    submission_path: Path | None = None,
    scores_path: Path | None = None,
    timings: Timings | None = None,
    on_scored: Any = None,
) -> ScoringResult:
    """Score every doc in `docs` (each must have an outcome), aggregate, and build the TaskResult."""
    scored: list[ScoredDoc] = []
    rows: list[dict[str, Any]] = []
    extraction: Counter[str] = Counter({path: 0 for path in EXTRACTION_PATHS})
    n_errors = 0
    columns = task.statistic_columns()
    for doc in docs:
        outcome = outcomes[doc.key]
        if outcome.error is not None or outcome.prediction is None:
            n_errors += 1
        prediction = outcome.prediction if outcome.error is None and outcome.prediction is not None else ""
        try:
            sample_score = task.score(doc, prediction, judge=judge)
        except Exception as err:
            raise RuntimeError(
                f"task {task.name}: scoring {doc.split}/{doc.doc_id} raised {type(err).__name__}: {err}"
            ) from err
        extraction[sample_score.extraction] += 1
        scored.append(ScoredDoc(doc=doc, prediction=prediction, score=sample_score))
        rows.append(
            {
                "split": doc.split,
                "doc_id": doc.doc_id,
                "prediction": prediction,
                "values": sample_score.values,
                "extraction": sample_score.extraction,
                "parsed": sample_score.parsed,
                # The shared unit and the columns the statistics read: the scores file alone then
                # gives error bars and paired comparisons (docs/statistics.md).
                "unit": task.cluster_of(doc),
                **({"fields": {column: doc.row[column] for column in columns}} if columns else {}),
            }
        )
        if on_scored is not None:
            on_scored()
    metrics = task.aggregate(scored)
    headline_value = task.to_paper_units(metrics)
    submission_file = None
    if task.server_scored:
        # The evaluation server holds the answers: no local headline until its score is recorded.
        headline_value = None
        if submission_path is not None:
            written = task.write_submission(scored, submission_path)
            submission_file = str(written) if written is not None else None
    if scores_path is not None:
        write_jsonl_atomic(scores_path, rows)
    result = TaskResult(
        task=task.name,
        paper_column=task.paper_column,
        headline=Headline(metric=task.headline_metric, value=headline_value, units=task.units),
        metrics=metrics,
        n_samples=len(docs),
        n_errors=n_errors,
        subset=subset,
        extraction=dict(extraction),
        judge=judge_record(judge),
        timings=timings or Timings(),
        server_scored=task.server_scored,
        submission_file=submission_file,
        paper_protocol=task.paper_protocol,
        sources=[source.to_json() for source in task.sources],
        uncertainty=None if task.server_scored else _uncertainty(task, rows, metrics),
    )
    return ScoringResult(result=result, rows=rows)


def _uncertainty(task: Task, rows: list[dict[str, Any]], metrics: dict[str, Any]) -> dict[str, Any] | None:
    from eagle_eval.stats.summary import task_uncertainty

    return task_uncertainty(
        task.statistics(),
        rows,
        metrics,
        headline_metric=task.headline_metric,
        headline_scale=unit_of(task.units).scale,
        unit_key=task.cluster_key,
    )
