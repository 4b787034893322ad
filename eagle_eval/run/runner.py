"""The runner: docs → requests → batches → model → samples files → scores → results.json.

This module orchestrates; each concern has its own module:

    eagle_eval/run/generate.py      one task's generation: resume, order, record (and a rank's share)
    eagle_eval/run/batching.py      adapter calls in batches, OOM backoff, per-sample failure isolation
    eagle_eval/run/fingerprints.py  run ids and sample fingerprints (what resumes, what is reused)
    eagle_eval/run/scoring.py       scoring and the results document, shared with `eagle-eval score`
    eagle_eval/run/ownership.py      one launch at a time per run directory (an OS file lock)
    eagle_eval/provenance/identity.py  the weights actually loaded, in every sample's fingerprint

A killed run started again with the same command resumes in the same run directory. Failures are
isolated: a sample that cannot be built or generated is recorded with its reason and the run goes on.

Under torchrun or `accelerate launch` (RANK / WORLD_SIZE set) every rank generates its share of each
task into samples/<task>.rank<r>.<launch>.jsonl; rank 0 then folds the rank files into samples/<task>.jsonl,
scores and writes results.json (eagle_eval/run/distributed.py, docs/long-runs.md).
"""

from __future__ import annotations

import random
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from eagle_eval.ablation.apply import RunAblation
from eagle_eval.ablation.spec import Ablation
from eagle_eval.api.adapter import ModelAdapter
from eagle_eval.api.registry import ModelOptions, get_model_entry, get_task, task_names
from eagle_eval.api.task import Task
from eagle_eval.core.output_files import check_writable_dir, remove_stale_temporaries
from eagle_eval.core.urls import redact_urls_in_text
from eagle_eval.data.images import max_pixels_from_env
from eagle_eval.data.loading import DataError, resolve_data_root
from eagle_eval.data.window import docs_fingerprint, window_reason
from eagle_eval.generation.gen_kwargs import GenKwargs, departure_message
from eagle_eval.provenance.identity import effective_model_fingerprint, loaded_weights
from eagle_eval.results.document import (
    RESULTS_FILENAME,
    ModelRecord,
    ResultsError,
    RunResults,
    RunSettings,
    TaskResult,
    load_results,
    write_results,
)
from eagle_eval.run.distributed import ProcessGroup, context_from_env, device_for_rank
from eagle_eval.run.fingerprints import compute_run_id
from eagle_eval.run.generate import generate_share, load_task_docs, merged_outcomes
from eagle_eval.run.log import RUN_LOG_FILENAME, log_line, warnings_to_log
from eagle_eval.run.ownership import own_run_dir
from eagle_eval.run.pinning import RunPins
from eagle_eval.run.predict_only import earlier_predictions, record_predictions
from eagle_eval.run.progress import RunDisplay, note
from eagle_eval.run.scoring import add_task_result, judge_for_task, new_run_results, score_docs

DEFAULT_OUTPUT_DIR = Path("results")
DEFAULT_BATCH_SIZE = "auto"  # adapters are batch-invariant, so batching changes speed, never answers
DEFAULT_SEED = 1234


@dataclass
class RunConfig:
    model: str
    tasks: list[str]
    output_dir: Path = DEFAULT_OUTPUT_DIR
    limit: int | float | None = None  # a count, or a fraction of each task (eagle_eval.data.window)
    batch_size: int | str = DEFAULT_BATCH_SIZE  # an int, or "auto"
    device: str | None = None
    dtype: str | None = None
    data_root: Path | None = None
    seed: int = DEFAULT_SEED
    run_id: str | None = None
    predictions: Path | None = None
    model_path: str | None = None
    revision: str | None = None
    model_args: dict[str, str] = field(default_factory=dict)  # --model-arg KEY=VALUE, checked by the adapter
    command: str = ""
    show_progress: bool = True
    lock: Path | None = None  # --lock FILE: read exactly the revisions it records (docs/reproducibility.md)
    require_pinned: bool = False  # --require-pinned: an unpinned split or checkpoint is an error
    ablation: Ablation = field(default_factory=Ablation)  # expert knock-out or blind (docs/ablations.md)
    offset: int = 0  # --offset: skip each task's first docs
    gen_kwargs: GenKwargs | None = None  # --gen-kwargs: generation overrides, off the paper protocol
    predict_only: bool = False  # --predict-only: generate and write samples, score nothing


@dataclass
class RunOutcome:
    run_dir: Path
    results_path: Path
    results: RunResults
    is_main: bool = True  # False on ranks other than 0: they generate, rank 0 scores and writes results


def expand_task_names(spec: str | Sequence[str]) -> list[str]:
    """Task names in the given order (validated, duplicates dropped); groups expand in place.

    `paper` is the thirteen benchmarks at the paper's protocol, one per table column; `all` adds the
    variants (local validation splits of the server-scored benchmarks, TextVQA without OCR tokens,
    the full VQAv2 test split).
    """
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else [n.strip() for n in spec]
    expanded: list[str] = []
    for name in (n for n in names if n):
        if name == "all":
            expanded.extend(task_names())
        elif name == "paper":
            expanded.extend(n for n in task_names() if _is_paper_task(get_task(n)))
        else:
            get_task(name)  # raises UnknownNameError with a suggestion
            expanded.append(name)
    return list(dict.fromkeys(expanded))


def _is_paper_task(task: Task) -> bool:
    return task.paper_protocol and task.paper_column is not None


def seed_everything(seed: int, with_torch: bool) -> None:
    random.seed(seed)
    try:
        import numpy

        numpy.random.seed(seed)
    except ImportError:
        pass
    if with_torch:
        import torch

        torch.manual_seed(seed)


def run_evaluation(
    config: RunConfig,
    adapter: ModelAdapter | None = None,
    on_task_done: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Run every task of `config` and write results.json; returns where it went and what it holds.

    Under torchrun, each rank generates its share; only rank 0 scores and writes results.json (the
    other ranks return `is_main=False` and a results object without tasks).
    """
    ctx = context_from_env()
    max_pixels_from_env()  # a malformed pixel limit is a usage error, not one error per sample
    tasks = [get_task(name) for name in config.tasks]
    entry = get_model_entry(config.model)
    entry.check_model_args(config.model_args)  # before any data or weights load
    pins = RunPins.from_options(config.lock, config.require_pinned)
    config = replace(config, revision=pins.model_revision(entry.name, config.revision, config.model_path))
    run_id = config.run_id or compute_run_id(config)  # from config.device: the same on every rank
    run_dir = Path(config.output_dir) / run_id
    check_writable_dir(run_dir)  # a read-only or full output folder stops the run before data or weights load
    if (run_dir / "samples").is_dir():
        check_writable_dir(run_dir / "samples")
    data_root = resolve_data_root(config.data_root)
    needs_torch = entry.needs_torch
    device = device_for_rank(config.device, ctx, ctx.is_distributed and needs_torch and _cuda_available())
    seed_everything(config.seed, with_torch=needs_torch)
    show_progress = config.show_progress and ctx.is_main
    auto = config.batch_size == "auto"
    with (
        ProcessGroup(ctx, device) as group,
        own_run_dir(run_dir, ctx.is_main, group) as launch,
        warnings_to_log(run_dir / RUN_LOG_FILENAME),
    ):
        if ctx.is_main:
            remove_stale_temporaries(run_dir)  # litter of a killed results or scores write
        gen_kwargs = replace(config.gen_kwargs, seed=config.seed) if config.gen_kwargs else None
        if gen_kwargs is not None and ctx.is_main:
            log_line(run_dir / RUN_LOG_FILENAME, f"ProtocolWarning: {departure_message(gen_kwargs)}")
        # Data and judge settings are checked before the model loads, so a missing split or a half-set
        # judge configuration stops the run at once rather than after hours of generation.
        loaded = {}
        missing: list[str] = []  # every unreadable task's message, so one try names all that is missing
        for task in tasks:
            try:
                with pins.loading(task.name):  # every split resolved, checked against the pins, recorded
                    loaded[task.name] = load_task_docs(task, data_root, config.limit, show_progress, config.offset)
            except DataError as err:
                missing.append(str(err) if len(tasks) == 1 else f"{task.name}: {err}")
        if missing:
            raise DataError(missing[0] if len(missing) == 1 else
                            f"{len(missing)} of {len(tasks)} tasks cannot read their data — " + " | ".join(missing))
        judges = {task.name: judge_for_task(task) for task in tasks}
        if adapter is None:
            options = ModelOptions(
                device=device,
                dtype=config.dtype,
                batch_size=None if auto else int(config.batch_size),
                seed=config.seed,
                model_path=config.model_path,
                revision=config.revision,
                predictions=Path(config.predictions) if config.predictions else None,
                extra=dict(config.model_args),
            )
            adapter = entry.factory(options)
        ablation = RunAblation.start(config.ablation, adapter, entry.name)  # exit 2 before any generation
        batch_size = adapter.suggested_batch_size() if auto else int(config.batch_size)
        info = adapter.info()
        provenance, weights_pinned = pins.check_model(info, config.revision, entry.name)  # before any generation
        weights = loaded_weights(info, config.model_path)
        # A knock-out or blind run is another model: its own fingerprint (eagle_eval.ablation.apply).
        model_fingerprint = ablation.model_fingerprint(effective_model_fingerprint(info, weights, provenance))
        run = new_run_results(
            run_id=run_id,
            command=config.command,
            seed=config.seed,
            model=ModelRecord(
                name=info.name, hub_id=info.hub_id, revision=info.revision, dtype=info.dtype, device=info.device,
                settings=dict(info.settings),
                extra=dict(info.extra),
                provenance=provenance.to_json() if provenance is not None else None,
                pinned=weights_pinned,
                weights=weights.to_json() if weights else None,
                fingerprint=model_fingerprint,
            ),
            settings=RunSettings(
                batch_size=config.batch_size,
                limit=config.limit,
                data_root=str(data_root) if data_root else None,
                model_args={key: redact_urls_in_text(str(value)) for key, value in config.model_args.items()},
                offset=config.offset,
                gen_kwargs=gen_kwargs.to_json() if gen_kwargs else None,
                predict_only=config.predict_only,
            ),
        )
        run.variant = ablation.variant
        results_path = run_dir / RESULTS_FILENAME
        earlier = earlier_entries(run_dir, model_fingerprint) if ctx.is_main else {}
        running = {task.name for task in tasks}
        # A run directory grows by tasks: keep what earlier runs of this model scored.
        run.results.update({name: result for name, result in earlier.items() if name not in running})
        run.predicted.update(earlier_predictions(run_dir, model_fingerprint, running) if ctx.is_main else {})
        log_path = run_dir / RUN_LOG_FILENAME

        def tell(message: str) -> None:
            note(message)
            log_line(log_path, message)

        with RunDisplay(config.tasks, show_progress) as display:
            for index, task in enumerate(tasks):
                display.start_task(index)
                if ctx.is_main:
                    log_line(log_path, display.overall_text(index))
                started = time.perf_counter()
                docs, subset = loaded[task.name]
                samples_path = run_dir / "samples" / f"{task.name}.jsonl"
                calibration = ablation.prepare_task(task, docs)
                outcomes, stats = generate_share(
                    task, docs, adapter, samples_path, batch_size, show_progress, ctx, group, launch, model_fingerprint,
                    ablation, display, tell, gen_kwargs,
                )
                batch_size = stats.final_batch_size or batch_size
                if not ctx.is_main:
                    continue
                if ctx.is_distributed:
                    outcomes = merged_outcomes(samples_path, docs)
                if config.predict_only:
                    record_predictions(run, task.name, outcomes, samples_path, run_dir, model_fingerprint)
                    write_results(results_path, run)
                    display.finish_task()
                    continue
                scoring = score_docs(
                    task,
                    docs,
                    outcomes,
                    subset=subset,
                    subset_reason=window_reason(config.limit, config.offset, len(docs)) if subset else None,
                    judge=judges[task.name],
                    submission_path=run_dir / "submissions" / f"{task.name}.json",
                    scores_path=run_dir / "scores" / f"{task.name}.jsonl",
                    show_progress=show_progress,
                    display=display,
                )
                scoring.result.sources = pins.sources_of(task.sources)
                # Under torchrun the throughput is rank 0's; wall_seconds covers every rank's share. The
                # figures add this launch's generation to what the task's entry already counted.
                before = earlier.get(task.name)
                scoring.result.timings = stats.timings(time.perf_counter() - started, before.timings if before else None)
                scoring.result.model_fingerprint = model_fingerprint
                scoring.result.calibration = calibration
                scoring.result.docs_fingerprint = docs_fingerprint(docs)
                if gen_kwargs is not None:  # other decoding than the paper's: tables mark it, compare notes it
                    scoring.result.gen_kwargs, scoring.result.paper_protocol = gen_kwargs.to_json(), False
                add_task_result(run, scoring.result, processes=ctx.world_size if ctx.is_distributed else None)
                run.model.extra = dict(adapter.info().extra)  # an adapter's counters (requests, retries) as of now
                write_results(results_path, run)  # after every task, so a killed run keeps what it finished
                display.finish_task()
                if on_task_done is not None:
                    on_task_done(task.name)
    return RunOutcome(run_dir=run_dir, results_path=results_path, results=run, is_main=ctx.is_main)


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


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def command_string(argv: Sequence[str]) -> str:
    """The command as results record it: any URL in it without credentials."""
    return redact_urls_in_text(shlex.join(["eagle-eval", *argv]))
