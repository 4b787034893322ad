"""Build a `ReportView` from a run directory, optionally against a baseline run directory."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eagle_eval.api.registry import UnknownNameError, get_task
from eagle_eval.api.task import Doc, Task
from eagle_eval.data.loading import DataError
from eagle_eval.report.charts import baseline_chart, paper_delta_chart
from eagle_eval.report.intervals import baseline_difference, headline_interval, missing_interval_reason
from eagle_eval.report.redact import redact_command
from eagle_eval.report.samples import SampleKey, TaskSamples, collect_task_samples
from eagle_eval.report.thumbnails import DEFAULT_BUDGET_BYTES, DEFAULT_MAX_SIDE, ThumbnailStore
from eagle_eval.report.view import ImageBudget, ReportView, RunHeader, TaskOverview
from eagle_eval.results.document import RESULTS_FILENAME, ResultsError, RunResults, TaskResult, load_results
from eagle_eval.results.reference import ReferenceRow, select_references
from eagle_eval.results.reference_match import own_reference
from eagle_eval.results.run_paths import locate_results


@dataclass
class ReportOptions:
    baseline: Path | None = None
    data_root: Path | None = None  # where the datasets are; default: the run's settings.data_root
    reference: str | None = None  # a README table row; default: the run's model when the README has it
    images: bool = True
    thumbnail_side: int = DEFAULT_MAX_SIDE
    image_budget_bytes: int = DEFAULT_BUDGET_BYTES
    image_dir: Path | None = None  # also write every original here, linked from the page
    image_href: str = ""  # the folder's path relative to the page


def run_dir_of(path: Path) -> Path:
    """The run folder `path` means (its results.json, an output folder holding one run), or why there is none."""
    results, problem = locate_results(path)
    if problem is not None:
        raise ResultsError(problem)
    return results.parent


def _raw_results(run_dir: Path) -> dict[str, Any]:
    data = json.loads((run_dir / RESULTS_FILENAME).read_text(encoding="utf-8"))
    return data.get("results", {}) if isinstance(data, dict) else {}


def _header(run: RunResults, reference: ReferenceRow | None) -> RunHeader:
    model = run.model
    return RunHeader(
        run_id=run.run_id,
        model=model.name,
        hub_id=model.hub_id,
        revision=model.revision,
        dtype=model.dtype,
        device=model.device,
        created_at=run.created_at,
        command=redact_command(run.command),
        reference_label=reference.label if reference else None,
    )


def _reference(run: RunResults, spec: str | None, notes: list[str]) -> ReferenceRow | None:
    if spec is not None:
        rows = select_references(spec)  # an unknown name is the user's error: UnknownNameError, exit 2
        return rows[0]
    own = own_reference(run.model)  # the rule the table's delta rows follow too
    if own is None:
        notes.append(f"no paper reference: the README tables have no row for {run.model.name!r} (pass --reference)")
    return own


def _data_root(run: RunResults, options: ReportOptions, notes: list[str]) -> Path | None:
    if options.data_root is not None:
        if not options.data_root.is_dir():
            raise DataError(f"--data-root {options.data_root} is not a folder; pass the folder the run read")
        return options.data_root
    recorded = run.settings.data_root
    if recorded and Path(recorded).is_dir():
        return Path(recorded)
    where = f"the run's data root {recorded!r} is not reachable from here" if recorded else "the run read the hub"
    notes.append(f"questions, references and images are not shown: {where}; pass --data-root DIR")
    return None


def _task_and_docs(name: str, data_root: Path | None, notes: list[str]) -> tuple[Task | None, dict[SampleKey, Doc] | None]:
    try:
        task = get_task(name)
    except UnknownNameError:
        notes.append(f"task {name!r} is not installed here: questions and images are not shown")
        return None, None
    if data_root is None:
        return task, None
    try:
        return task, {doc.key: doc for doc in task.load_docs(data_root)}
    except DataError as err:
        notes.append(f"dataset not loaded: {err}")
        return task, None


def _overview(name: str, result: TaskResult, raw: dict[str, Any], samples: TaskSamples, paper: ReferenceRow | None) -> TaskOverview:
    value = result.headline.value
    paper_value = paper.values.get(result.paper_column) if paper and result.paper_column else None
    # A published cell of another split or metric (MME sum, MMBench v1.1 test) is shown, never subtracted.
    comparable = paper.comparable_value(result.paper_column) if paper and result.paper_column else None
    other = paper.not_comparable.get(result.paper_column or "") if paper else None
    task_notes = [*samples.notes, *([f"paper value not comparable, so no Δ paper: {paper.label} publishes {other}"]
                                     if paper and other else [])]
    verdicts: dict[str, int] = {}
    for row in samples.rows:
        verdicts[row.verdict] = verdicts.get(row.verdict, 0) + 1
    return TaskOverview(
        task=name,
        paper_column=result.paper_column,
        metric=result.headline.metric,
        units=result.headline.units,
        value=value,
        interval=headline_interval(raw),
        interval_missing=missing_interval_reason(raw),
        paper_value=paper_value,
        paper_delta=value - comparable if value is not None and comparable is not None else None,
        n_samples=result.n_samples,
        n_errors=result.n_errors,
        n_rows=len(samples.rows),
        subset=result.subset,
        extraction=dict(result.extraction),
        samples_per_second=result.timings.samples_per_second,
        time_to_first_token_s=result.timings.time_to_first_token_s,
        wall_seconds=result.timings.wall_seconds,
        score_key=samples.score_key,
        n_input_truncated=result.n_input_truncated,
        verdicts=verdicts,
        notes=task_notes,
    )


def _apply_flips(overview: TaskOverview, samples: TaskSamples, base: TaskSamples) -> None:
    """Mark each sample gained / lost / same against the baseline's sample of the same key."""
    base_rows = {(row.split, row.doc_id): row for row in base.rows}
    flips = {"gained": 0, "lost": 0, "same": 0, "new": 0}
    for row in samples.rows:
        other = base_rows.get((row.split, row.doc_id))
        if other is None:
            row.flip = "new"
        else:
            row.baseline_prediction, row.baseline_score = other.prediction, other.score
            if row.score is None or other.score is None:
                row.flip = "same" if row.score == other.score else "new"
            else:
                row.flip = "gained" if row.score > other.score else "lost" if row.score < other.score else "same"
        flips[row.flip] += 1
    overview.flips = flips


def _apply_baseline(
    overview: TaskOverview, task: Task | None, run_dir: Path, base_dir: Path, base_result: TaskResult | None
) -> None:
    if base_result is None:
        overview.notes.append("the baseline run has no result for this task")
        return
    overview.baseline_value = base_result.headline.value
    if overview.value is not None and overview.baseline_value is not None:
        overview.baseline_delta = overview.value - overview.baseline_value
    if task is None:
        overview.notes.append("no interval for the baseline difference: the task is not installed here")
        return
    interval, figures, why = baseline_difference(task, overview.units, run_dir, base_dir)
    overview.baseline_interval, overview.baseline_comparison = interval, figures
    if why:
        overview.notes.append(why)


def build_report(run_path: Path, options: ReportOptions | None = None) -> ReportView:
    options = options or ReportOptions()
    run_dir = run_dir_of(run_path)
    run, raw = load_results(run_dir), _raw_results(run_dir)
    notes: list[str] = []
    paper = _reference(run, options.reference, notes)
    data_root = _data_root(run, options, notes)
    store = (
        ThumbnailStore(options.thumbnail_side, options.image_budget_bytes, image_dir=options.image_dir, image_href=options.image_href)
        if options.images and data_root
        else None
    )
    base_dir = run_dir_of(options.baseline) if options.baseline is not None else None
    base_run = load_results(base_dir) if base_dir is not None else None
    overviews, rows = [], {}
    for name, result in run.results.items():
        task, docs = _task_and_docs(name, data_root, notes)
        samples = collect_task_samples(run_dir, name, result.headline.metric, task, docs, store)
        overview = _overview(name, result, raw.get(name, {}), samples, paper)
        if base_dir is not None and base_run is not None:
            base_samples = collect_task_samples(base_dir, name, result.headline.metric, None, None, None)
            _apply_flips(overview, samples, base_samples)
            _apply_baseline(overview, task, run_dir, base_dir, base_run.results.get(name))
        overviews.append(overview)
        rows[name] = samples.rows
    images, budget = store.finish() if store is not None else ({}, ImageBudget(0, options.image_budget_bytes))
    charts = {"paper": paper_delta_chart(overviews, paper.label if paper else None)}
    if base_run is not None:
        charts["baseline"] = baseline_chart(overviews, base_run.run_id)
    return ReportView(
        run=_header(run, paper),
        baseline=_header(base_run, None) if base_run is not None else None,
        tasks=overviews,
        samples=rows,
        images=images,
        image_budget=budget,
        charts=charts,
        notes=notes,
    )
