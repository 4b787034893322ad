"""The runner: docs → requests → batches → model → samples files → scores → results.json.

Per task: load the docs, build each request, skip those whose stored prediction carries the same
fingerprint (model fingerprint + prompt fingerprint), batch the rest (one task per batch, sorted by
prompt length so batch-mates pad little; the adapter is batch-invariant, so order does not change
answers), generate, and append each finished batch to samples/<task>.jsonl with flush + fsync. A
killed run started again with the same command resumes in the same run directory.

Failures are isolated: a request that cannot be built (corrupt image, missing value) or a sample
the adapter fails on (found by retrying the failed batch one request at a time) is recorded with
its reason and the run goes on. CUDA out-of-memory halves the batch size and retries the same
requests, so nothing is lost; the smaller size carries over to the next task.

Under torchrun or `accelerate launch` (RANK / WORLD_SIZE set) every rank generates its share of each
task into samples/<task>.rank<r>.jsonl; rank 0 then folds the rank files into samples/<task>.jsonl,
scores and writes results.json (eagle_eval/distributed.py, docs/long-runs.md).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eagle_eval.adapter import ModelAdapter
from eagle_eval.data import resolve_data_root
from eagle_eval.distributed import (
    DistContext,
    ProcessGroup,
    context_from_env,
    device_for_rank,
    fold_rank_files,
    rank_samples_path,
    shard_docs,
)
from eagle_eval.images import max_pixels_from_env
from eagle_eval.progress import make_progress, status
from eagle_eval.records import Request
from eagle_eval.registry import ModelOptions, get_model_entry, get_task, resolve_model_name, task_names
from eagle_eval.results import RESULTS_FILENAME, ModelRecord, RunResults, RunSettings, Timings, write_results
from eagle_eval.run_lock import own_run_dir
from eagle_eval.samples_io import (
    SampleRecord,
    SamplesWriter,
    latest_by_key,
    read_samples,
    remove_stale_temporaries,
    repair_samples_file,
)
from eagle_eval.scoring import Outcome, add_task_result, judge_for_task, new_run_results, score_docs
from eagle_eval.task import Doc, Task
from eagle_eval.urls import redact_urls_in_text

DEFAULT_OUTPUT_DIR = Path("results")
DEFAULT_BATCH_SIZE = "auto"  # adapters are batch-invariant, so batching changes speed, never answers
DEFAULT_SEED = 1234


@dataclass
class RunConfig:
    model: str
    tasks: list[str]
    output_dir: Path = DEFAULT_OUTPUT_DIR
    limit: int | None = None
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


@dataclass
class RunOutcome:
    run_dir: Path
    results_path: Path
    results: RunResults
    is_main: bool = True  # False on ranks other than 0: they generate, rank 0 scores and writes results


@dataclass
class GenerationStats:
    n_generated: int = 0
    seconds: float = 0.0
    ttft: list[float] = field(default_factory=list)
    final_batch_size: int | None = None  # after any OOM halving; the next task starts from it

    def timings(self, wall_seconds: float) -> Timings:
        return Timings(
            samples_per_second=round(self.n_generated / self.seconds, 4) if self.seconds > 0 else None,
            time_to_first_token_s=round(sum(self.ttft) / len(self.ttft), 4) if self.ttft else None,
            wall_seconds=round(wall_seconds, 3),
        )


# --- names, ids, fingerprints -------------------------------------------------------------------


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


def compute_run_id(config: RunConfig) -> str:
    """`<model>__<hash8>` from everything that changes predictions, so a re-run resumes in place.

    The batch size, output and data directories are left out: they do not change predictions.
    """
    model = resolve_model_name(config.model)
    payload = {
        "model": model,
        "tasks": sorted(config.tasks),
        "limit": config.limit,
        "device": config.device,
        "dtype": config.dtype,
        "seed": config.seed,
        "model_path": config.model_path,
        "revision": config.revision,
        "predictions": str(Path(config.predictions).resolve()) if config.predictions else None,
    }
    if config.model_args:  # only when given, so the ids of runs without them stay as they were
        payload["model_args"] = dict(sorted(config.model_args.items()))
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:8]
    # `hf:org/name` or `hf:/some/folder` must stay one directory name.
    return f"{re.sub(r'[^A-Za-z0-9._+-]+', '_', model).strip('_')}__{digest}"


def sample_fingerprint(model_fingerprint: str, prompt_fingerprint: str) -> str:
    return hashlib.sha256(f"{model_fingerprint}:{prompt_fingerprint}".encode()).hexdigest()[:16]


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


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA OOM, recognised by class (torch's, or any class named OutOfMemoryError) or message."""
    if any(cls.__name__ == "OutOfMemoryError" for cls in type(error).__mro__):
        return True
    return isinstance(error, RuntimeError) and "CUDA out of memory" in str(error)


def _free_accelerator_memory() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


# --- batching -----------------------------------------------------------------------------------


class BatchGenerator:
    """Calls the adapter on batches; halves the batch size on OOM, isolates per-sample failures."""

    def __init__(self, adapter: ModelAdapter, batch_size: int, stats: GenerationStats) -> None:
        self.adapter = adapter
        self.batch_size = max(1, batch_size)
        self.stats = stats

    def generate(self, requests: Sequence[Request]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        start = 0
        while start < len(requests):
            chunk = requests[start : start + self.batch_size]
            try:
                predictions = self._call(chunk)
            except Exception as err:
                if is_out_of_memory(err) and self.batch_size > 1:
                    _free_accelerator_memory()
                    self.batch_size = max(1, self.batch_size // 2)
                    continue  # the same requests again, in smaller batches
                outcomes.extend(self._one_by_one(chunk, err))
            else:
                outcomes.extend(predictions)
            start += len(chunk)
        return outcomes

    def _one_by_one(self, chunk: Sequence[Request], batch_error: BaseException) -> list[Outcome]:
        if len(chunk) == 1:
            return [Outcome(prediction=None, error=_describe(batch_error))]
        outcomes = []
        for request in chunk:
            try:
                outcomes.append(self._call([request])[0])
            except Exception as err:
                if is_out_of_memory(err):
                    _free_accelerator_memory()
                outcomes.append(Outcome(prediction=None, error=_describe(err)))
        return outcomes

    def _call(self, chunk: Sequence[Request]) -> list[Outcome]:
        started = time.perf_counter()
        predictions = self.adapter.generate(list(chunk))
        self.stats.seconds += time.perf_counter() - started
        if not isinstance(predictions, list) or len(predictions) != len(chunk):
            got = len(predictions) if isinstance(predictions, list) else type(predictions).__name__
            raise RuntimeError(f"adapter returned {got} predictions for {len(chunk)} requests")
        if not all(isinstance(p, str) for p in predictions):
            raise RuntimeError("adapter returned a non-string prediction")
        self.stats.n_generated += len(chunk)
        ttft = (getattr(self.adapter, "last_stats", None) or {}).get("time_to_first_token_s")
        if ttft is not None:
            self.stats.ttft.append(float(ttft))
        # An adapter may say something about each request's input (`last_notes`, one dict per request).
        notes = getattr(self.adapter, "last_notes", None)
        if not isinstance(notes, list) or len(notes) != len(chunk):
            notes = [None] * len(chunk)
        return [Outcome(prediction=p, notes=n) for p, n in zip(predictions, notes, strict=True)]


def _describe(error: BaseException) -> str:
    if is_out_of_memory(error):
        return f"out of memory at batch size 1: {error}"
    return f"{type(error).__name__}: {error}"


# --- one task -----------------------------------------------------------------------------------


def load_task_docs(task: Task, data_root: Path | None, limit: int | None, show_progress: bool) -> tuple[list[Doc], bool]:
    """The task's docs, cut to the first `limit` (deterministic); also whether that is a subset.

    Rows keep their images encoded (eagle_eval.rows.lazy_rows): a bad or oversized picture fails its
    own sample when its request is built, not the loading.
    """
    with status(f"loading {task.name} data", enabled=show_progress):
        docs = task.load_docs(data_root)
    if limit is not None and limit < len(docs):
        chosen = task.limit_docs(docs, limit)  # whole MME pairs and MMBench circular groups
        return chosen, len(chosen) < len(docs)
    return docs, False


def generate_task(
    task: Task,
    docs: Sequence[Doc],
    adapter: ModelAdapter,
    samples_path: Path,
    batch_size: int,
    show_progress: bool,
    stored: dict[tuple[str, int], SampleRecord] | None = None,
    write_path: Path | None = None,
) -> tuple[dict[tuple[str, int], Outcome], GenerationStats]:
    """Generate every doc whose stored prediction is missing, failed or stale; return all outcomes.

    `stored` defaults to what samples_path holds; new lines go to `write_path` (default samples_path;
    a rank's own file under torchrun).
    """
    model_fingerprint = adapter.info().fingerprint()
    if stored is None:
        repair_samples_file(samples_path)
        stored = latest_by_key(read_samples(samples_path))
    stats = GenerationStats()
    generator = BatchGenerator(adapter, batch_size, stats)
    outcomes: dict[tuple[str, int], Outcome] = {}

    # Sort by prompt length so a batch pads little; prompt text is cheap, images are built lazily.
    ordered: list[tuple[int, Doc]] = []
    with SamplesWriter(write_path or samples_path) as writer:

        def record(doc: Doc, fingerprint: str, outcome: Outcome) -> None:
            outcomes[doc.key] = outcome
            writer.write(
                SampleRecord(task.name, doc.split, doc.doc_id, fingerprint, outcome.prediction, outcome.error,
                             notes=outcome.notes)
            )

        for doc in docs:
            try:
                ordered.append((len(task.prompt(doc)), doc))
            except Exception as err:
                record(doc, sample_fingerprint(model_fingerprint, "unbuilt"), _request_failure(err, task, doc))
        ordered.sort(key=lambda item: (item[0], item[1].split, item[1].doc_id))
        writer.flush()

        progress = make_progress(show_progress)
        with progress:
            bar = progress.add_task(f"generating {task.name}", total=len(ordered))
            pending: list[tuple[Request, str]] = []
            doc_by_key = {doc.key: doc for _, doc in ordered}

            def flush_pending() -> None:
                results = generator.generate([request for request, _ in pending])
                for (request, fingerprint), outcome in zip(pending, results, strict=True):
                    doc = doc_by_key[(request.split, request.doc_id)]
                    record(doc, fingerprint, outcome)
                writer.flush()
                progress.advance(bar, len(pending))
                pending.clear()

            for _, doc in ordered:
                try:
                    request = task.build_request(doc)
                    fingerprint = sample_fingerprint(model_fingerprint, request.prompt_fingerprint())
                except Exception as err:
                    record(doc, sample_fingerprint(model_fingerprint, "unbuilt"), _request_failure(err, task, doc))
                    writer.flush()
                    progress.advance(bar)
                    continue
                previous = stored.get(doc.key)
                if previous is not None and previous.fingerprint == fingerprint and previous.error is None:
                    outcomes[doc.key] = Outcome(prediction=previous.prediction, notes=previous.notes)
                    progress.advance(bar)
                    continue
                pending.append((request, fingerprint))
                if len(pending) >= generator.batch_size:
                    flush_pending()
            if pending:
                flush_pending()
    stats.final_batch_size = generator.batch_size
    return outcomes, stats


def _is_null(row: dict, column: str) -> bool:
    try:
        return column in row and row[column] is None
    except Exception:  # an image column that fails to decode is not null; its error is the reason
        return False


def _request_failure(error: BaseException, task: Task, doc: Doc) -> Outcome:
    """The reason a request could not be built, naming the doc and any needed column that is null."""
    nulls = [c for c in task.required_columns if _is_null(doc.row, c)]
    hint = f"; null in column(s) {', '.join(nulls)} of the dataset row" if nulls else ""
    return Outcome(
        prediction=None,
        error=f"building the request failed: {type(error).__name__}: {error} "
        f"({task.name} {doc.split}/{doc.doc_id}{hint})",
    )


# --- a whole run --------------------------------------------------------------------------------


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
    run_id = config.run_id or compute_run_id(config)  # from config.device: the same on every rank
    run_dir = Path(config.output_dir) / run_id
    data_root = resolve_data_root(config.data_root)
    needs_torch = entry.details.get("needs_torch", True)
    device = device_for_rank(config.device, ctx, ctx.is_distributed and needs_torch and _cuda_available())
    seed_everything(config.seed, with_torch=needs_torch)
    show_progress = config.show_progress and ctx.is_main
    auto = config.batch_size == "auto"
    with ProcessGroup(ctx, device) as group, own_run_dir(run_dir, ctx.is_main, group) as launch:
        if ctx.is_main:
            remove_stale_temporaries(run_dir)  # litter of a killed results or scores write
        # Data and judge settings are checked before the model loads, so a missing split or a half-set
        # judge configuration stops the run at once rather than after hours of generation.
        loaded = {task.name: load_task_docs(task, data_root, config.limit, show_progress) for task in tasks}
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
        batch_size = adapter.suggested_batch_size() if auto else int(config.batch_size)
        info = adapter.info()
        run = new_run_results(
            run_id=run_id,
            command=config.command,
            seed=config.seed,
            model=ModelRecord(
                name=info.name, hub_id=info.hub_id, revision=info.revision, dtype=info.dtype, device=info.device,
                settings=dict(info.settings),
                extra=dict(info.extra),
            ),
            settings=RunSettings(
                batch_size=config.batch_size,
                limit=config.limit,
                data_root=str(data_root) if data_root else None,
                model_args=dict(config.model_args),
            ),
        )
        results_path = run_dir / RESULTS_FILENAME
        for task in tasks:
            started = time.perf_counter()
            docs, subset = loaded[task.name]
            samples_path = run_dir / "samples" / f"{task.name}.jsonl"
            outcomes, stats = generate_share(
                task, docs, adapter, samples_path, batch_size, show_progress, ctx, group, launch
            )
            batch_size = stats.final_batch_size or batch_size
            if not ctx.is_main:
                continue
            if ctx.is_distributed:
                outcomes = merged_outcomes(samples_path, docs)
            scoring = score_docs(
                task,
                docs,
                outcomes,
                subset=subset,
                subset_reason=f"--limit {config.limit}: {len(docs)} docs" if subset else None,
                judge=judges[task.name],
                submission_path=run_dir / "submissions" / f"{task.name}.json",
                scores_path=run_dir / "scores" / f"{task.name}.jsonl",
                show_progress=show_progress,
            )
            # Under torchrun the throughput is rank 0's; wall_seconds covers every rank's share.
            scoring.result.timings = stats.timings(time.perf_counter() - started)
            add_task_result(run, scoring.result, processes=ctx.world_size if ctx.is_distributed else None)
            write_results(results_path, run)  # after every task, so a killed run keeps what it finished
            if on_task_done is not None:
                on_task_done(task.name)
    return RunOutcome(run_dir=run_dir, results_path=results_path, results=run, is_main=ctx.is_main)


def generate_share(
    task: Task,
    docs: Sequence[Doc],
    adapter: ModelAdapter,
    samples_path: Path,
    batch_size: int,
    show_progress: bool,
    ctx: DistContext,
    group: ProcessGroup,
    launch: str | None = None,
) -> tuple[dict[tuple[str, int], Outcome], GenerationStats]:
    """This rank's share of a task; on return every rank's lines are in samples_path (rank 0 folds).

    Rank 0 first folds rank files killed launches left behind (it holds the run directory's lock, so
    no live launch writes them); at the end it folds only this launch's own (`launch`).
    """
    if ctx.is_main:
        fold_rank_files(samples_path, docs)
        repair_samples_file(samples_path)
    group.barrier()  # nobody reads the merged file while rank 0 rewrites it
    stored = latest_by_key(read_samples(samples_path))
    done = {key for key, record in stored.items() if record.error is None}
    mine = shard_docs(docs, done, ctx)
    write_path = rank_samples_path(samples_path, ctx.rank, launch) if ctx.is_distributed else samples_path
    # Rows decode their images when a request is built: a bad or oversized one fails its own sample.
    result = generate_task(task, mine, adapter, samples_path, batch_size, show_progress, stored, write_path)
    group.barrier()  # every rank's file is complete
    if ctx.is_main and ctx.is_distributed:
        fold_rank_files(samples_path, docs, launch)
    return result


def merged_outcomes(samples_path: Path, docs: Sequence[Doc]) -> dict[tuple[str, int], Outcome]:
    """Every doc's latest line in the merged samples file (each was written or checked in this run)."""
    stored = latest_by_key(read_samples(samples_path))
    missing = [f"{doc.split}/{doc.doc_id}" for doc in docs if doc.key not in stored]
    if missing:
        raise RuntimeError(f"{samples_path} has no line for {len(missing)} doc(s) after merging: {missing[:5]}")
    return {doc.key: Outcome(stored[doc.key].prediction, stored[doc.key].error, stored[doc.key].notes) for doc in docs}


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def command_string(argv: Sequence[str]) -> str:
    """The command as results record it: any URL in it without credentials."""
    return redact_urls_in_text(shlex.join(["eagle-eval", *argv]))
