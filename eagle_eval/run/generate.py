"""One task's generation: resume from the samples file, order, batch, and record every outcome at once.

Per task: check the stored predictions first (a doc with a successful stored line is built and its
fingerprint compared, eagle_eval.run.fingerprints), say how many are reused and how many are to generate,
then batch the rest (one task per batch, sorted by prompt length so batch-mates
pad little; the adapter is batch-invariant, so order does not change answers), generate
(eagle_eval.run.batching), and append each finished batch to samples/<task>.jsonl with flush + fsync.
A request that cannot be built (corrupt image, missing value) is recorded with its reason.

Under torchrun each rank generates its share into its own rank file; rank 0 folds them
(eagle_eval.run.distributed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from eagle_eval.ablation.apply import RunAblation
from eagle_eval.api.adapter import ModelAdapter
from eagle_eval.api.task import Task
from eagle_eval.core.records import Doc, Request
from eagle_eval.core.terminal import note
from eagle_eval.data.window import select_docs
from eagle_eval.generation.gen_kwargs import GenKwargs, apply_gen_kwargs
from eagle_eval.results.samples import (
    SampleRecord,
    SamplesWriter,
    latest_by_key,
    read_samples,
    repair_samples_file,
)
from eagle_eval.run.batching import BatchGenerator, GenerationStats
from eagle_eval.run.distributed import (
    DistContext,
    ProcessGroup,
    fold_rank_files,
    rank_samples_path,
    shard_docs,
)
from eagle_eval.run.fingerprints import UNBUILT, sample_fingerprint
from eagle_eval.run.progress import CHECK, RunDisplay, status, step_display
from eagle_eval.run.scoring import Outcome


def load_task_docs(task: Task, data_root: Path | None, limit: int | float | None, show_progress: bool,
                   offset: int = 0) -> tuple[list[Doc], bool]:
    """The task's docs in the window of `--limit` (a count or a fraction) and `--offset`, deterministic;
    also whether that is a subset (eagle_eval.data.window).

    Rows keep their images encoded (eagle_eval.data.rows.lazy_rows): a bad or oversized picture fails its
    own sample when its request is built, not the loading.
    """
    with status(f"loading {task.name} data", enabled=show_progress):
        docs = task.load_docs(data_root)
    chosen = select_docs(task, docs, limit, offset)  # whole MME pairs and MMBench circular groups
    return chosen, len(chosen) < len(docs)


@dataclass
class GenerationSettings:
    """How a run generates, the same for each of its tasks.

    `model_fingerprint` is that of the weights actually loaded (eagle_eval.provenance.identity),
    extended by the ablation; None: the adapter's own, extended by the ablation. On resume, `announce`
    is told how many stored predictions still hold before any generation starts (None: say nothing,
    as on ranks other than 0). `gen_kwargs` (--gen-kwargs) overrides every request's generation
    settings, and so its fingerprint.
    """

    adapter: ModelAdapter
    batch_size: int
    show_progress: bool
    model_fingerprint: str | None = None
    ablation: RunAblation = field(default_factory=RunAblation)
    display: RunDisplay | None = None
    announce: Callable[[str], None] | None = note
    gen_kwargs: GenKwargs | None = None


@dataclass
class RankShare:
    """Where this process stands in a launch: its rank, the process group, and the launch's id."""

    ctx: DistContext
    group: ProcessGroup
    launch: str | None = None


def generate_task(
    task: Task,
    docs: Sequence[Doc],
    samples_path: Path,
    settings: GenerationSettings,
    stored: dict[tuple[str, int], SampleRecord] | None = None,
    write_path: Path | None = None,
) -> tuple[dict[tuple[str, int], Outcome], GenerationStats]:
    """Generate every doc whose stored prediction is missing, failed or stale; return all outcomes.

    `stored` defaults to what samples_path holds; new lines go to `write_path` (default samples_path;
    a rank's own file under torchrun).
    """
    # A knock-out or blind run never reuses the full model's predictions: the ablation is in the fingerprint.
    model_fingerprint = settings.model_fingerprint or settings.ablation.model_fingerprint(
        settings.adapter.info().fingerprint())
    if stored is None:
        repair_samples_file(samples_path)
        stored = latest_by_key(read_samples(samples_path))
    stats = GenerationStats()
    generator = BatchGenerator(settings.adapter, settings.batch_size, stats)
    with (SamplesWriter(write_path or samples_path) as writer,
          step_display(settings.display, settings.show_progress) as shown):
        work = _TaskGeneration(task, settings, model_fingerprint, writer, stats)
        ordered = work.order(docs)
        plan, to_generate = work.reuse_stored(ordered, stored, shown, total=len(docs))
        if settings.announce is not None and any(doc.key in stored for doc in docs):
            settings.announce(plan.message(task.name, samples_path.parent.parent))
        work.generate(len(ordered), to_generate, generator, shown)
    stats.final_batch_size = generator.batch_size
    return work.outcomes, stats


def built_request(task: Task, doc: Doc, settings: GenerationSettings, model_fingerprint: str) -> tuple[Request, str]:
    """The doc's request as it is generated (ablation and --gen-kwargs applied) and its sample
    fingerprint; raises whatever building it raises. Resume compares stored lines against this."""
    request = apply_gen_kwargs(settings.ablation.request(task.build_request(doc)), settings.gen_kwargs)
    return request, sample_fingerprint(model_fingerprint, request.prompt_fingerprint())


class _TaskGeneration:
    """One task's generation under way: every outcome is recorded in memory and in the samples file."""

    def __init__(self, task: Task, settings: GenerationSettings, model_fingerprint: str, writer: SamplesWriter,
                 stats: GenerationStats) -> None:
        self.task, self.settings, self.model_fingerprint = task, settings, model_fingerprint
        self.writer, self.stats = writer, stats
        self.outcomes: dict[tuple[str, int], Outcome] = {}

    def record(self, doc: Doc, fingerprint: str, outcome: Outcome) -> None:
        self.outcomes[doc.key] = outcome
        self.writer.write(
            SampleRecord(self.task.name, doc.split, doc.doc_id, fingerprint, outcome.prediction, outcome.error,
                         seconds=outcome.seconds, notes=outcome.notes)
        )

    def build(self, doc: Doc) -> tuple[Request, str] | None:
        """The doc's request and sample fingerprint; None once its failure is recorded."""
        try:
            return built_request(self.task, doc, self.settings, self.model_fingerprint)
        except Exception as err:
            self.record(doc, sample_fingerprint(self.model_fingerprint, UNBUILT), _request_failure(err, self.task, doc))
            return None

    def order(self, docs: Sequence[Doc]) -> list[Doc]:
        """The docs sorted by prompt length, so a batch pads little; prompt text is cheap, images are
        built lazily. A doc whose prompt cannot be made is recorded as failed here."""
        ordered: list[tuple[int, Doc]] = []
        for doc in docs:
            try:
                ordered.append((len(self.task.prompt(doc)), doc))
            except Exception as err:
                self.record(doc, sample_fingerprint(self.model_fingerprint, UNBUILT),
                            _request_failure(err, self.task, doc))
        ordered.sort(key=lambda item: (item[0], item[1].split, item[1].doc_id))
        self.writer.flush()
        return [doc for _, doc in ordered]

    def reuse_stored(self, ordered: list[Doc], stored: dict[tuple[str, int], SampleRecord], shown: RunDisplay,
                     total: int) -> tuple[ResumePlan, list[Doc]]:
        """Which stored predictions still hold, before any generation, and the docs left to generate.

        Only docs with a successful stored line are built here (a fresh task builds each request once,
        when it is generated).
        """
        plan = ResumePlan(total=total)
        to_generate: list[Doc] = []
        candidates = [doc for doc in ordered if doc.key in stored and stored[doc.key].error is None]
        with shown.line(f"checking stored {self.task.name} samples", len(candidates), kind=CHECK, keep=False,
                        visible=bool(candidates)) as row:
            for doc in ordered:
                previous = stored.get(doc.key)
                if previous is None or previous.error is not None:
                    plan.failed_before += previous is not None
                    to_generate.append(doc)
                    continue
                built = self.build(doc)
                shown.progress.advance(row)
                if built is None:
                    continue
                if previous.fingerprint == built[1]:
                    self._reuse(doc, previous)
                    continue
                plan.stale += 1
                to_generate.append(doc)
        self.writer.flush()
        plan.reused, plan.to_generate = self.stats.n_reused, len(to_generate)
        return plan, to_generate

    def _reuse(self, doc: Doc, previous: SampleRecord) -> None:
        self.outcomes[doc.key] = Outcome(prediction=previous.prediction, notes=previous.notes)
        self.stats.n_reused += 1
        if previous.seconds is not None:
            self.stats.reused_timed += 1
            self.stats.reused_seconds += float(previous.seconds)

    def generate(self, n_ordered: int, to_generate: list[Doc], generator: BatchGenerator,
                 shown: RunDisplay) -> None:
        """Generate `to_generate` in batches of the generator's size, recording each batch at once."""
        done_before = n_ordered - len(to_generate)
        with shown.line(f"generating {self.task.name}", n_ordered, completed=done_before, generated=0) as bar:
            pending: list[tuple[Request, str]] = []
            doc_by_key = {doc.key: doc for doc in to_generate}

            def flush_pending() -> None:
                results = generator.generate([request for request, _ in pending])
                for (request, fingerprint), outcome in zip(pending, results, strict=True):
                    doc = doc_by_key[(request.split, request.doc_id)]
                    if request.dataset_image_markers:  # never silent: the sample says its text placed images
                        outcome.notes = {**(outcome.notes or {}), "dataset_image_markers": request.dataset_image_markers}
                    self.record(doc, fingerprint, outcome)
                self.writer.flush()
                shown.progress.update(bar, advance=len(pending), generated=self.stats.n_generated)
                pending.clear()

            for doc in to_generate:
                built = self.build(doc)
                if built is None:
                    self.writer.flush()
                    shown.progress.advance(bar)
                    continue
                pending.append(built)
                if len(pending) >= generator.batch_size:
                    flush_pending()
            if pending:
                flush_pending()


@dataclass
class ResumePlan:
    """What a resumed task does with its stored predictions: the line the user and run.log get."""

    total: int
    reused: int = 0
    to_generate: int = 0
    failed_before: int = 0  # stored lines that recorded an error: retried
    stale: int = 0  # stored predictions of another model, prompt, image or generation setting

    def message(self, task_name: str, run_dir: Path) -> str:
        reasons = [f"{n} {why}" for n, why in ((self.failed_before, "failed before"),
                                               (self.stale, "made by another model or prompt")) if n]
        unbuilt = self.total - self.reused - self.to_generate
        text = f"{task_name}: {self.reused} of {self.total} samples reused from {run_dir}, {self.to_generate} to generate"
        text += f" ({', '.join(reasons)})" if reasons else ""
        return text + (f"; {unbuilt} cannot be built (recorded as errors)" if unbuilt else "")


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


def generate_share(
    task: Task, docs: Sequence[Doc], samples_path: Path, settings: GenerationSettings, share: RankShare,
) -> tuple[dict[tuple[str, int], Outcome], GenerationStats]:
    """This rank's share of a task; on return every rank's lines are in samples_path (rank 0 folds).

    Rank 0 first folds rank files killed launches left behind (it holds the run directory's lock, so
    no live launch writes them); at the end it folds only this launch's own (`share.launch`).
    """
    ctx = share.ctx
    if ctx.is_main:
        fold_rank_files(samples_path, docs)
        repair_samples_file(samples_path)
    share.group.barrier()  # nobody reads the merged file while rank 0 rewrites it
    stored = latest_by_key(read_samples(samples_path))
    done = {key for key, record in stored.items() if record.error is None}
    mine = shard_docs(docs, done, ctx)
    write_path = rank_samples_path(samples_path, ctx.rank, share.launch) if ctx.is_distributed else samples_path
    # Rows decode their images when a request is built: a bad or oversized one fails its own sample.
    announce = settings.announce
    if not ctx.is_main:
        announce = None
    elif ctx.is_distributed and announce is not None:
        tell = announce
        announce = lambda message: tell(f"{message} (rank 0's share of {ctx.world_size} processes)")  # noqa: E731
    result = generate_task(task, mine, samples_path, replace(settings, announce=announce), stored, write_path)
    share.group.barrier()  # every rank's file is complete
    if ctx.is_main and ctx.is_distributed:
        fold_rank_files(samples_path, docs, share.launch)
    return result
