"""Recording: the run's results document, begun once the model is known and written after every task.

A run directory grows by tasks: the document keeps what earlier runs of the same model scored and
predicted, and each task's entry adds this launch's generation time to what it already counted.
results.json is written after every task, so a killed run keeps what it finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eagle_eval.api.task import Task
from eagle_eval.core.records import Doc
from eagle_eval.core.terminal import note
from eagle_eval.core.urls import redact_urls_in_text
from eagle_eval.data.window import docs_fingerprint
from eagle_eval.generation.gen_kwargs import GenKwargs
from eagle_eval.results.document import (
    RESULTS_FILENAME,
    ResultsError,
    RunResults,
    RunSettings,
    TaskResult,
    load_results,
    write_results,
)
from eagle_eval.run.batching import GenerationStats
from eagle_eval.run.model import LoadedModel
from eagle_eval.run.plan import RunPlan
from eagle_eval.run.predict_only import earlier_predictions
from eagle_eval.run.scoring import ScoringResult, add_task_result, new_run_results


@dataclass
class RunDocument:
    """The results document of this run, where it is written, and the entries earlier runs left."""

    results: RunResults
    path: Path
    earlier: dict[str, TaskResult]


@dataclass
class TaskRecord:
    """What a scored task adds to its entry beyond its scores."""

    task: Task
    docs: list[Doc]
    stats: GenerationStats
    seconds: float  # this launch's wall time for the task
    calibration: dict[str, Any] | None


def start_document(plan: RunPlan, model: LoadedModel, gen_kwargs: GenKwargs | None) -> RunDocument:
    """A document for this run with the earlier entries of the same model that this run leaves alone."""
    config = plan.config
    run = new_run_results(
        run_id=plan.run_id,
        command=config.command,
        seed=config.seed,
        model=model.record,
        settings=RunSettings(
            batch_size=config.batch_size,
            limit=config.limit,
            data_root=str(plan.data_root) if plan.data_root else None,
            model_args={key: redact_urls_in_text(str(value)) for key, value in config.model_args.items()},
            offset=config.offset,
            gen_kwargs=gen_kwargs.to_json() if gen_kwargs else None,
            predict_only=config.predict_only,
        ),
    )
    run.variant = model.ablation.variant
    run.label = config.label or (earlier_label(plan.run_dir) if plan.ctx.is_main else None)
    is_main = plan.ctx.is_main
    earlier = earlier_entries(plan.run_dir, model.fingerprint) if is_main else {}
    running = {task.name for task in plan.tasks}
    run.results.update({name: result for name, result in earlier.items() if name not in running})
    run.predicted.update(earlier_predictions(plan.run_dir, model.fingerprint, running) if is_main else {})
    return RunDocument(run, plan.run_dir / RESULTS_FILENAME, earlier)


def record_scored_task(document: RunDocument, scoring: ScoringResult, record: TaskRecord, plan: RunPlan,
                       model: LoadedModel, gen_kwargs: GenKwargs | None) -> None:
    """File a scored task in the document and write it."""
    result = scoring.result
    result.sources = plan.pins.sources_of(record.task.sources)
    # Under torchrun the throughput is rank 0's; wall_seconds covers every rank's share. The
    # figures add this launch's generation to what the task's entry already counted.
    before = document.earlier.get(record.task.name)
    result.timings = record.stats.timings(record.seconds, before.timings if before else None)
    result.model_fingerprint = model.fingerprint
    result.calibration = record.calibration
    result.docs_fingerprint = docs_fingerprint(record.docs)
    if gen_kwargs is not None:  # other decoding than the paper's: tables mark it, compare notes it
        result.gen_kwargs, result.paper_protocol = gen_kwargs.to_json(), False
    ctx = plan.ctx
    add_task_result(document.results, result, processes=ctx.world_size if ctx.is_distributed else None)
    document.results.model.extra = dict(model.adapter.info().extra)  # an adapter's counters as of now
    write_results(document.path, document.results)


class FewerDocsError(ResultsError):
    """This run would replace a stored task result with one over fewer docs (exit 2 unless asked)."""


def refuse_fewer_docs(plan: RunPlan, docs: dict[str, tuple[list[Doc], bool]]) -> None:
    """Before the model loads: a task whose stored entry covers more docs than this run would score is
    refused (a smaller --limit on the same run id), unless --allow-fewer-docs; then a report beside the
    results is named as describing the earlier ones."""
    path = plan.run_dir / RESULTS_FILENAME
    if not plan.ctx.is_main or not path.is_file():
        return
    try:
        stored = load_results(path).results
    except ResultsError:
        return  # unreadable: rewritten from this run's tasks, as before
    shrinking = [f"{name} ({stored[name].n_samples} → {len(task_docs)})" for name, (task_docs, _) in docs.items()
                 if name in stored and stored[name].n_samples > len(task_docs)]
    if not shrinking:
        return
    if not plan.config.allow_fewer_docs:
        raise FewerDocsError(
            f"{path} holds {', '.join(shrinking)} docs: this run would replace those results with fewer docs. "
            "Pass --allow-fewer-docs to replace them, drop --limit (or raise it) to keep them, or pick another --run-id")
    reports = [plan.run_dir / name for name in ("report.html", "report.json") if (plan.run_dir / name).is_file()]
    for report in reports:
        note(f"{report} describes the earlier results; write it again with: eagle-eval report {plan.run_dir}")


def earlier_label(run_dir: Path) -> str | None:
    """The `--label` an earlier launch recorded in the directory: a resumed run keeps its name."""
    path = run_dir / RESULTS_FILENAME
    try:
        return load_results(path).label if path.is_file() else None
    except ResultsError:
        return None


def earlier_entries(run_dir: Path, model_fingerprint: str) -> dict[str, TaskResult]:
    """Entries of the directory's results.json scored with the same model.

    Tasks not run now are kept as they are; a task run again adds its timings to its entry's.

    An entry of another model fingerprint (new weights, another dtype) or without its samples file is
    dropped: results.json only ever describes the predictions of one model.
    """
    path = run_dir / RESULTS_FILENAME
    if not path.is_file():
        return {}
    try:
        earlier = load_results(path)
    except ResultsError:
        return {}  # unreadable: it is rewritten from this run's tasks
    return {
        name: result
        for name, result in earlier.results.items()
        if result.model_fingerprint == model_fingerprint
        and (run_dir / "samples" / f"{name}.jsonl").is_file()
    }
