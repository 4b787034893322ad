"""A run, as stages: plan, load the model, then per task generate → merge → score → record.

    plan.py         everything resolved and checked before data or weights load; then each task's data
    model.py        the adapter built, the ablation applied, the weights identified
    stored_model.py the load skipped when every sample is stored (what the last load identified)
    generate.py     one task's generation (this rank's share): resume, order, batch, record
    distributed.py  a task's rank files merged into one samples file (under torchrun)
    scoring.py      scores and the task's entry, shared with `eagle-eval score`
    record.py       the results document, written after every task

and beside them:

    config.py        the run's settings (`RunConfig`) and the task names they expand to
    batching.py      adapter calls in batches, OOM backoff, per-sample failure isolation
    fingerprints.py  run ids and sample fingerprints (what resumes, what is reused)
    ownership.py     one launch at a time per run directory (an OS file lock)
    pinning.py       --lock and --require-pinned, applied to every read

A killed run started again with the same command resumes in the same run directory. Failures are
isolated: a sample that cannot be built or generated is recorded with its reason and the run goes on.

Under torchrun or `accelerate launch` (RANK / WORLD_SIZE set) every rank generates its share of each
task into samples/<task>.rank<r>.<launch>.jsonl; rank 0 then folds the rank files into samples/<task>.jsonl,
scores and writes results.json (eagle_eval/run/distributed.py, docs/long-runs.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from eagle_eval.api.adapter import ModelAdapter
from eagle_eval.api.task import Task
from eagle_eval.core.output_files import remove_stale_temporaries
from eagle_eval.core.terminal import note
from eagle_eval.data.window import window_reason
from eagle_eval.generation.gen_kwargs import GenKwargs, departure_message
from eagle_eval.results.document import write_results
from eagle_eval.run.config import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_OUTPUT_DIR,
    DEFAULT_SEED,
    RunConfig,
    RunOutcome,
    command_string,
    expand_task_names,
)
from eagle_eval.run.distributed import ProcessGroup, merged_outcomes
from eagle_eval.run.generate import GenerationSettings, RankShare, generate_share
from eagle_eval.run.log import RUN_LOG_FILENAME, ending_logged, log_line, warnings_to_log
from eagle_eval.run.model import LoadedModel
from eagle_eval.run.ownership import own_run_dir
from eagle_eval.run.plan import RunPlan, TaskInputs, plan_run, read_task_inputs
from eagle_eval.run.predict_only import record_predictions
from eagle_eval.run.progress import RunDisplay
from eagle_eval.run.record import (
    RunDocument,
    TaskRecord,
    record_scored_task,
    refuse_fewer_docs,
    start_document,
)
from eagle_eval.run.scoring import ScoreOptions, score_docs
from eagle_eval.run.stored_model import model_for_run

# run_evaluation with the records it takes and returns, so a caller needs one import.
__all__ = ["DEFAULT_BATCH_SIZE", "DEFAULT_OUTPUT_DIR", "DEFAULT_SEED", "RunConfig", "RunOutcome", "command_string",
           "expand_task_names", "run_evaluation"]


def run_evaluation(
    config: RunConfig,
    adapter: ModelAdapter | None = None,
    on_task_done: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Run every task of `config` and write results.json; returns where it went and what it holds.

    Under torchrun, each rank generates its share; only rank 0 scores and writes results.json (the
    other ranks return `is_main=False` and a results object without tasks).
    """
    plan = plan_run(config)
    with (
        ProcessGroup(plan.ctx, plan.device) as group,
        own_run_dir(plan.run_dir, plan.ctx.is_main, group) as launch,
        warnings_to_log(plan.run_dir / RUN_LOG_FILENAME),
        ending_logged(plan.run_dir / RUN_LOG_FILENAME, plan.ctx.is_main),
    ):
        if plan.ctx.is_main:
            remove_stale_temporaries(plan.run_dir)  # litter of a killed results or scores write
        gen_kwargs = _run_gen_kwargs(plan)
        inputs = read_task_inputs(plan)
        refuse_fewer_docs(plan, inputs.docs)  # a smaller --limit on a stored run: refused before the model loads
        model = model_for_run(plan, inputs, gen_kwargs, adapter)  # not loaded when every sample is stored
        document = start_document(plan, model, gen_kwargs)
        tasks = _TaskStages(plan, inputs, model, document, RankShare(plan.ctx, group, launch), gen_kwargs)
        heartbeat = tasks.tell if plan.ctx.is_main and not plan.show_progress else None
        with RunDisplay(plan.config.tasks, plan.show_progress, heartbeat=heartbeat) as display:
            for index, task in enumerate(plan.tasks):
                if tasks.run(index, task, display) and on_task_done is not None:
                    on_task_done(task.name)
        if plan.ctx.is_main:
            log_line(tasks.log_path, _ending(document))
    return RunOutcome(run_dir=plan.run_dir, results_path=document.path, results=document.results,
                      is_main=plan.ctx.is_main)


def _ending(document: RunDocument) -> str:
    """The log's last line for a launch that finished: what it recorded, and the exit that follows."""
    results = document.results
    failed = sum(result.n_errors for result in results.results.values())
    # The command's exit: 3 when samples failed, a judge failed or a task has no metrics (cli.run.report_errors).
    flawed = failed or any(r.aggregation_error or r.extraction.get("judge_failed") for r in results.results.values())
    exit_code = 3 if flawed else 0
    return (f"run finished (exit {exit_code}): {len(results.results)} task(s) recorded, {failed} failed sample(s)"
            + (f", {len(results.predicted)} predicted only" if results.predicted else "") + f"; {document.path}")


def _run_gen_kwargs(plan: RunPlan) -> GenKwargs | None:
    """The run's --gen-kwargs with its seed; a departure from the paper protocol is logged."""
    config = plan.config
    gen_kwargs = replace(config.gen_kwargs, seed=config.seed) if config.gen_kwargs else None
    if gen_kwargs is not None and plan.ctx.is_main:
        log_line(plan.run_dir / RUN_LOG_FILENAME, f"ProtocolWarning: {departure_message(gen_kwargs)}")
    return gen_kwargs


@dataclass
class _TaskStages:
    """One task after another: generate → merge → score → record, with what the run resolved."""

    plan: RunPlan
    inputs: TaskInputs
    model: LoadedModel
    document: RunDocument
    share: RankShare
    gen_kwargs: GenKwargs | None

    def __post_init__(self) -> None:
        self.batch_size = self.model.batch_size  # a task that had to shrink it passes that on
        self.log_path = self.plan.run_dir / RUN_LOG_FILENAME

    def tell(self, message: str) -> None:
        note(message)
        log_line(self.log_path, message)

    def run(self, index: int, task: Task, display: RunDisplay) -> bool:
        """Run one task; True once it is scored and recorded (on rank 0 only, and not with --predict-only)."""
        plan, ctx = self.plan, self.plan.ctx
        display.start_task(index)
        if ctx.is_main:
            log_line(self.log_path, display.overall_text(index))
        started = time.perf_counter()
        docs, subset = self.inputs.docs[task.name]
        samples_path = plan.run_dir / "samples" / f"{task.name}.jsonl"
        calibration = self.model.ablation.prepare_task(task, docs)
        settings = GenerationSettings(self.model.adapter, self.batch_size, plan.show_progress, self.model.fingerprint,
                                      self.model.ablation, display, self.tell, self.gen_kwargs)
        outcomes, stats = generate_share(task, docs, samples_path, settings, self.share)
        self.batch_size = stats.final_batch_size or self.batch_size
        if not ctx.is_main:
            return False
        if ctx.is_distributed:
            outcomes = merged_outcomes(samples_path, docs)
        if plan.config.predict_only:
            record_predictions(self.document.results, task.name, outcomes, samples_path, plan.run_dir,
                               self.model.fingerprint)
            write_results(self.document.path, self.document.results)
            display.finish_task()
            return False
        options = ScoreOptions(
            subset=subset,
            subset_reason=window_reason(plan.config.limit, plan.config.offset, len(docs)) if subset else None,
            judge=self.inputs.judges[task.name],
            submission_path=plan.run_dir / "submissions" / f"{task.name}.json",
            scores_path=plan.run_dir / "scores" / f"{task.name}.jsonl",
        )
        scoring = score_docs(task, docs, outcomes, options, show_progress=plan.show_progress, display=display)
        record = TaskRecord(task, docs, stats, time.perf_counter() - started, calibration)
        record_scored_task(self.document, scoring, record, plan, self.model, self.gen_kwargs)
        display.finish_task()
        return True
