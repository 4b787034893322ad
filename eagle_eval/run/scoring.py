"""Scoring predictions of one task: per-sample scores, aggregate metrics, the headline.

A row whose ground truth cannot be scored (null, not a valid label, no category) is that sample's
error: listed in `scoring_errors`, counted in `n_errors`, left out of the aggregate and the scores
file (with the rest of its unit when the task scores units whole), and the run goes on. An
aggregation that still fails leaves that task without metrics (`aggregation_error`), not the run.

Shared by the runner (after generation) and by `eagle-eval score` (no model), so both give the
same numbers for the same predictions: both map their predictions to `Outcome`s, call
`score_docs`, and file the result into a run made by `new_run_results` with `add_task_result`.

A sample whose generation failed is scored with the empty prediction "": it counts as wrong, the
headline stays over the whole evaluated set (comparable with the paper's), and the failure is
counted in `n_errors`.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eagle_eval.api.scorer import scorer_version
from eagle_eval.api.task import Task
from eagle_eval.core.records import Doc, ScoredDoc
from eagle_eval.core.text_input import valid_text
from eagle_eval.core.units import unit_of
from eagle_eval.core.urls import redact_url
from eagle_eval.results.document import (
    EXTRACTION_PATHS,
    Headline,
    ModelRecord,
    RunResults,
    RunSettings,
    TaskResult,
    Timings,
)
from eagle_eval.results.environment import hardware_summary, software_versions
from eagle_eval.results.samples import Prediction, SamplesFileError, write_jsonl_atomic
from eagle_eval.run.progress import SCORE, RunDisplay, step_display

# The samples-file note counting the code points of a prediction or error replaced by U+FFFD.
INVALID_TEXT_NOTE = "invalid_text_replaced"


@dataclass
class Outcome:
    """What generation produced for one doc: a prediction, or the reason it failed."""

    prediction: str | None
    error: str | None = None
    # What the adapter reported about this sample's input (Eagle: input_positions, input_truncated).
    notes: dict[str, Any] | None = None
    # Seconds inside the adapter's `generate` for this sample: its share of its batch's call.
    seconds: float | None = None

    def __post_init__(self) -> None:
        # Text from a model, a server or a predictions file enters the run here: code points UTF-8
        # cannot hold (a lone surrogate) become U+FFFD, and notes.invalid_text_replaced counts them.
        replaced = 0
        if self.prediction is not None:
            self.prediction, replaced = valid_text(self.prediction)
        if self.error is not None:
            self.error, in_error = valid_text(self.error)
            replaced += in_error
        if replaced:
            self.notes = {**(self.notes or {}), INVALID_TEXT_NOTE: replaced}


@dataclass
class ScoringResult:
    result: TaskResult
    rows: list[dict[str, Any]] = field(default_factory=list)


def judge_for_task(task: Task) -> Any:
    """The judge client for a task that uses one, from eagle_eval.judge.llm_judge, or None.

    The judge module is optional: when it is not installed, judge tasks score with their rule-based
    extractor and count what stays unresolved (the counts show it in results.json).
    """
    if not task.uses_judge:
        return None
    try:
        module = importlib.import_module("eagle_eval.judge.llm_judge")
    except ModuleNotFoundError as err:
        if err.name != "eagle_eval.judge.llm_judge":
            raise
        return None
    return module.judge_from_environment()


def judge_record(judge: Any) -> dict[str, Any] | None:
    """What results.json says about the judge: its model and endpoint (never a key, even in the URL), and
    when calls failed, how many and why the last one did (the client's message, without secrets)."""
    if judge is None:
        return None
    if hasattr(judge, "describe"):
        described = judge.describe()
        model, base_url = described.get("model"), described.get("base_url")
    else:
        model, base_url = getattr(judge, "model", None), getattr(judge, "base_url", None)
    record = {"model": model, "base_url": redact_url(base_url) if isinstance(base_url, str) else base_url}
    failed = getattr(getattr(judge, "stats", None), "failed", 0)
    if isinstance(failed, int) and failed:
        record.update(failed_calls=failed, last_error=str(getattr(judge, "last_failure", "") or "") or None)
    return record


@dataclass
class ScoreOptions:
    """How a task is scored besides its outcomes: the window it covers, its judge, where files go."""

    subset: bool = False
    subset_reason: str | None = None
    judge: Any = None
    submission_path: Path | None = None
    scores_path: Path | None = None
    timings: Timings | None = None


@dataclass
class _Tally:
    """Every doc scored one by one: the scored docs, their scores-file rows, and what could not be scored."""

    scored: list[ScoredDoc] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    unscored: dict[tuple[str, int], str] = field(default_factory=dict)
    n_errors: int = 0
    n_input_truncated: int = 0
    n_dataset_image_markers: int = 0
    n_answers_truncated: int = 0


def score_task(
    task: Task,
    docs: Sequence[Doc],
    outcomes: dict[tuple[str, int], Outcome],
    options: ScoreOptions,
    on_scored: Callable[[], object] | None = None,
) -> ScoringResult:
    """Score every doc in `docs` (each must have an outcome), aggregate, and build the TaskResult."""
    tally = _score_each(task, docs, outcomes, options.judge, on_scored)
    scored = _leave_out_broken_units(task, docs, tally.scored, tally.unscored)
    n_errors = tally.n_errors + sum(
        1 for doc in docs if doc.key in tally.unscored and not _failed_generation(outcomes[doc.key]))
    extraction: Counter[str] = Counter({path: 0 for path in EXTRACTION_PATHS})
    extraction.update(item.score.extraction for item in scored)
    scored_rows = [row for row in tally.rows if (row["split"], row["doc_id"]) not in tally.unscored]
    aggregation_error = None
    try:
        metrics = task.aggregate(scored)
    except Exception as err:  # one row the checks above missed must not cost the other tasks
        metrics, aggregation_error = {}, f"aggregation failed: {_describe(err)}"
    headline_value = task.to_paper_units(metrics) if aggregation_error is None else None
    submission_file = None
    if task.server_scored:
        # The evaluation server holds the answers: no local headline until its score is recorded.
        headline_value = None
        if options.submission_path is not None:
            written = task.write_submission(scored, options.submission_path)
            submission_file = str(written) if written is not None else None
    if options.scores_path is not None:
        # Only scored rows: the statistics read every line's values. Unscored ones are in the results.
        write_jsonl_atomic(options.scores_path, scored_rows)
    result = TaskResult(
        task=task.name,
        paper_column=task.paper_column,
        headline=Headline(metric=task.headline_metric, value=headline_value, units=task.units),
        metrics=metrics,
        n_samples=len(docs),
        n_errors=n_errors,
        n_input_truncated=tally.n_input_truncated,
        n_dataset_image_markers=tally.n_dataset_image_markers,
        n_answers_truncated=tally.n_answers_truncated,
        subset=options.subset,
        subset_reason=options.subset_reason if options.subset else None,
        extraction=dict(extraction),
        judge=judge_record(options.judge),
        timings=options.timings or Timings(),
        server_scored=task.server_scored,
        submission_file=submission_file,
        paper_protocol=task.paper_protocol,
        sources=[source.to_json() for source in task.sources],
        uncertainty=None if task.server_scored or aggregation_error else _uncertainty(task, scored_rows, metrics),
        scoring_errors=[
            {"split": key[0], "doc_id": key[1], "error": reason} for key, reason in sorted(tally.unscored.items())
        ],
        aggregation_error=aggregation_error,
        scorer=scorer_version(task),
    )
    return ScoringResult(result=result, rows=scored_rows)


def _score_each(task: Task, docs: Sequence[Doc], outcomes: dict[tuple[str, int], Outcome], judge: Any,
                on_scored: Callable[[], object] | None) -> _Tally:
    tally = _Tally()
    columns = task.statistic_columns()
    for doc in docs:
        outcome = outcomes[doc.key]
        notes = outcome.notes or {}
        tally.n_errors += _failed_generation(outcome)
        tally.n_input_truncated += bool(notes.get("input_truncated"))
        tally.n_dataset_image_markers += bool(notes.get("dataset_image_markers"))
        tally.n_answers_truncated += bool(notes.get("answer_truncated"))
        prediction = outcome.prediction if outcome.error is None and outcome.prediction is not None else ""
        try:
            sample_score = task.score(doc, prediction, judge=judge)
        except Exception as err:  # a bad ground-truth row costs its own sample, never the run
            tally.unscored[doc.key] = f"scoring failed: {_describe(err)} ({task.name} {doc.split}/{doc.doc_id})"
        else:
            tally.scored.append(ScoredDoc(doc=doc, prediction=prediction, score=sample_score))
            tally.rows.append(
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
                    **({"fields": {column: doc.row.get(column) for column in columns}} if columns else {}),
                }
            )
        if on_scored is not None:
            on_scored()
    return tally


def _failed_generation(outcome: Outcome) -> bool:
    return outcome.error is not None or outcome.prediction is None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _leave_out_broken_units(
    task: Task,
    docs: Sequence[Doc],
    scored: list[ScoredDoc],
    unscored: dict[tuple[str, int], str],
) -> list[ScoredDoc]:
    """`scored` without the units (MME image pairs, MMBench circular groups) a failed row belongs to.

    A task that scores units whole (`Task.scores_units_whole`) cannot score half a unit: the other
    docs of such a unit are left out of the aggregate too, each recorded with the reason in `unscored`.
    """
    if not unscored or not task.scores_units_whole:
        return scored
    broken = {task.unit_of(doc) for doc in docs if doc.key in unscored} - {None}
    kept = []
    for item in scored:
        unit = task.unit_of(item.doc)
        if unit is None or unit not in broken:
            kept.append(item)
            continue
        unscored[item.doc.key] = (
            f"left out of the aggregate: its unit {unit} holds a row that could not be scored "
            f"({task.name} {item.doc.split}/{item.doc.doc_id})"
        )
    return kept


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


def score_docs(
    task: Task,
    docs: Sequence[Doc],
    outcomes: dict[tuple[str, int], Outcome],
    options: ScoreOptions,
    show_progress: bool = False,
    display: RunDisplay | None = None,
) -> ScoringResult:
    """`score_task` behind a progress line (the run's display, or one of its own): what `run` and `score` call."""
    with step_display(display, show_progress) as shown, shown.line(f"scoring {task.name}", len(docs), kind=SCORE) as bar:
        return score_task(task, docs, outcomes, options, on_scored=lambda: shown.progress.advance(bar))


def new_run_results(
    *, run_id: str, command: str, seed: int | None, model: ModelRecord, settings: RunSettings
) -> RunResults:
    """A results document with no task yet, stamped now, with this machine's software and hardware."""
    return RunResults(
        run_id=run_id,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        command=command,
        seed=seed,
        model=model,
        settings=settings,
        results={},
        software=software_versions(),
        hardware=hardware_summary(),
    )


def add_task_result(run: RunResults, result: TaskResult, processes: int | None = None) -> None:
    """File a task's result; software and hardware are read again (GPUs show once a model ran)."""
    run.results[result.task] = result
    run.software, run.hardware = software_versions(), hardware_summary()
    if processes is not None and processes > 1:
        run.hardware["processes"] = processes


def outcomes_from_predictions(
    task_name: str,
    docs: Sequence[Doc],
    predictions: Sequence[Prediction],
    path: Path,
    filters_rows: bool = False,
) -> dict[tuple[str, int], Outcome]:
    """Map predictions onto the task's docs by (split, doc_id); a retry after a failed line wins (read_predictions refuses other repeats)."""
    splits = sorted({doc.split for doc in docs})
    sizes = {split: sum(1 for d in docs if d.split == split) for split in splits}
    keys = {doc.key for doc in docs}
    outcomes: dict[tuple[str, int], Outcome] = {}
    for prediction in predictions:
        where = f"{path}:{prediction.line_no}"
        if prediction.task is not None and prediction.task != task_name:
            raise SamplesFileError(f"{where}: the line is for task {prediction.task!r}, not {task_name!r}")
        split = prediction.split
        if split is None:
            if len(splits) != 1:
                raise SamplesFileError(f"{where}: task {task_name} spans splits {', '.join(splits)}; add 'split'")
            split = splits[0]
        if split not in sizes:
            raise SamplesFileError(f"{where}: task {task_name} has no split {split!r} (it has {', '.join(splits)})")
        if (split, prediction.doc_id) not in keys:
            if filters_rows:
                continue  # a row the task leaves out on purpose (SEED's video questions)
            raise SamplesFileError(
                f"{where}: doc_id {prediction.doc_id} is not among the {sizes[split]} docs of split {split!r}"
            )
        outcomes[(split, prediction.doc_id)] = Outcome(prediction=prediction.prediction, error=prediction.error)
    return outcomes
