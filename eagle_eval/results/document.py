"""The results document of a run: typed, versioned, written atomically (docs/results-schema.md).

Tables and regression checks read only these files, through `load_results`, which validates the
shape and raises `ResultsError` with the file and the problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eagle_eval.core import text_input
from eagle_eval.core.output_files import write_text_atomic
from eagle_eval.core.text_input import not_utf8_message
from eagle_eval.results import validation
from eagle_eval.results.run_paths import RESULTS_FILENAME, locate_results  # noqa: F401 - RESULTS_FILENAME is read from here too

SCHEMA_VERSION = 1
# "judge_failed": the rules could not read the answer and the judge did not answer (scored as wrong).
EXTRACTION_PATHS = ("rule", "judge", "unresolved", "fallback", "judge_failed")


class ResultsError(ValueError):
    """A results file that cannot be used; the message names the file and what is wrong."""


@dataclass
class Headline:
    metric: str
    value: float | None
    units: str


@dataclass
class Timings:
    """A task's generation speed over every launch that generated its samples (docs/results-schema.md).

    The rates are totals over totals: a resumed task keeps the figures of the launches that did the
    work, and a launch that generates more adds its samples, seconds and calls to them.
    """

    samples_per_second: float | None = None
    time_to_first_token_s: float | None = None
    wall_seconds: float | None = None  # this launch's loading, generation and scoring of the task
    # New tokens over the generated samples, and per second of generation (adapters that count them).
    tokens_generated: int | None = None
    tokens_per_second: float | None = None
    # What the rates are totals of; null in files written before they existed.
    samples_generated: int | None = None
    generation_seconds: float | None = None
    ttft_calls: int | None = None  # adapter calls that reported a time to first token
    launches: int | None = None  # launches that generated samples counted here
    samples_reused: int | None = None  # this launch: stored predictions reused instead of generated


@dataclass
class TaskResult:
    task: str
    paper_column: str | None
    headline: Headline
    metrics: dict[str, Any]
    n_samples: int
    n_errors: int
    subset: bool
    extraction: dict[str, int]
    judge: dict[str, Any] | None = None
    timings: Timings = field(default_factory=Timings)
    server_scored: bool = False
    submission_file: str | None = None
    # False for variants (local validation split, no-OCR prompt) that share a paper column.
    paper_protocol: bool = True
    # The hub splits read: {repo, config, split, revision} as the task asks, plus `provenance` (the
    # commit and content hash actually read) and `pinned` (docs/reproducibility.md).
    sources: list[dict[str, Any]] = field(default_factory=list)
    # Standard errors and intervals of the headline and mean metrics (docs/results-schema.md);
    # None in files written before they existed and for server-scored splits.
    uncertainty: dict[str, Any] | None = None
    # Knock-out runs with the mean replacement: per expert, the images its mean was taken over
    # ({"sam-1024": {"images": 64, "digest": "…"}}); None otherwise.
    calibration: dict[str, Any] | None = None
    # Rows that could not be scored (a null or invalid ground truth), and the docs left out with them
    # because their unit scores whole: {split, doc_id, error}. They count in n_errors.
    scoring_errors: list[dict[str, Any]] = field(default_factory=list)
    # Set when the aggregation itself failed: metrics are then empty and the headline null.
    aggregation_error: str | None = None
    # Why the run covers only some docs, in words ("--limit 3", "--allow-subset: ..."); None when whole.
    subset_reason: str | None = None
    # Samples whose input the model cut to the checkpoint's tokenizer_model_max_length (Eagle).
    n_input_truncated: int = 0
    # Samples whose dataset text held a literal `<image>`, each taken as an image slot (docs/footguns.md).
    n_dataset_image_markers: int = 0
    # Samples whose answer was longer than the API client keeps (MAX_ANSWER_CHARS) and was cut there.
    n_answers_truncated: int = 0
    # The model fingerprint of the predictions scored: a later run in the same directory keeps this
    # entry only while its model has the same fingerprint.
    model_fingerprint: str | None = None
    # --gen-kwargs overrides the task was generated with ({"temperature": 0.2}); None at the task's own
    # settings (the paper protocol). A task with overrides has paper_protocol false.
    gen_kwargs: dict[str, Any] | None = None
    # Hash of the (split, doc id) keys scored: equal sample counts from other docs (--offset) differ.
    docs_fingerprint: str | None = None
    # The scorer version the scores came from (eagle_eval.api.scorer: a hash of the task's scoring
    # code); null in older files. Valid predictions under another scorer only need rescoring.
    scorer: str | None = None


@dataclass
class VariantRecord:
    """Which ablation of the model produced the predictions (docs/ablations.md); None for the full model."""

    label: str  # "−SAM", "−CLIP −SAM (zeros)", "blind"
    blind: bool = False
    # [{"expert": "sam-1024", "label": "SAM", "index": 2}]: index = the expert's place in the tower
    knocked_out: list[dict[str, Any]] = field(default_factory=list)
    replacement: str | None = None  # "mean" or "zeros" for knock-outs
    calibration: str | None = None  # how the mean replacement's images were chosen


@dataclass
class ModelRecord:
    name: str
    hub_id: str | None = None
    revision: str | None = None
    dtype: str | None = None
    device: str | None = None
    # ModelInfo.settings: choices besides the dtype that change predictions (Eagle's input truncation).
    settings: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # adapter-specific facts (ModelInfo.extra)
    # What the weights read were (eagle_eval.provenance.revisions.Provenance.to_json), and whether a lock or a
    # requested commit confirmed them; both null when the model reads no weights (replay).
    provenance: dict[str, Any] | None = None
    pinned: bool | None = None
    # The checkpoint folder read, its hub commit and cheap fingerprint (eagle_eval.provenance.identity), and
    # the model fingerprint every sample of this run carries; null for models without a checkpoint.
    weights: dict[str, Any] | None = None
    fingerprint: str | None = None


@dataclass
class RunSettings:
    batch_size: int | str | None = None
    limit: int | float | None = None  # a count, or a fraction of each task (0 < limit < 1)
    data_root: str | None = None
    model_args: dict[str, str] = field(default_factory=dict)  # --model-arg KEY=VALUE, as given
    offset: int = 0  # --offset: docs skipped at the start of each task
    gen_kwargs: dict[str, Any] | None = None  # --gen-kwargs overrides in effect (eagle_eval.generation.gen_kwargs)
    predict_only: bool = False  # --predict-only: generated, not scored (see RunResults.predicted)


@dataclass
class RunResults:
    run_id: str
    created_at: str
    command: str
    seed: int | None
    model: ModelRecord
    settings: RunSettings
    results: dict[str, TaskResult]
    software: dict[str, Any]
    hardware: dict[str, Any]
    schema_version: int = SCHEMA_VERSION
    variant: VariantRecord | None = None
    # --predict-only: tasks generated but not scored, {task: {n_samples, n_errors, samples_file}};
    # `eagle-eval score` (or the same run without --predict-only) scores them from their samples.
    predicted: dict[str, dict[str, Any]] = field(default_factory=dict)
    # `run --label NAME`: the name tables give the run's row; None for the model's own name.
    label: str | None = None

    @property
    def display_name(self) -> str:
        """The model with its variant, as tables and compare print it: `eagle-x5-7b −SAM`, `eagle-x5-7b blind`."""
        return f"{self.model.name} {self.variant.label}" if self.variant is not None else self.model.name

    @property
    def n_errors(self) -> int:
        return sum(result.n_errors for result in self.results.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "command": self.command,
            "seed": self.seed,
            "model": asdict(self.model),
            "settings": asdict(self.settings),
            "results": {name: asdict(result) for name, result in self.results.items()},
            "software": self.software,
            "hardware": self.hardware,
            "n_errors": self.n_errors,
            "variant": asdict(self.variant) if self.variant is not None else None,
            "predicted": self.predicted,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "<results>") -> RunResults:
        return _parse_run(data, source)


def write_results(path: Path, run: RunResults) -> None:
    """Write results.json through a temporary file and os.replace: readers never see half a file."""
    text = json.dumps(run.to_json(), indent=2, ensure_ascii=False, default=_plain) + "\n"
    write_text_atomic(path, text)


def load_results(path: Path | str) -> RunResults:
    """Read and validate a results.json (or a run directory holding one)."""
    path, problem = locate_results(Path(path))  # a run folder, the output folder of one run, a wrong path
    if problem is not None:
        raise ResultsError(problem)
    try:
        data = text_input.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ResultsError(not_utf8_message(path, err)) from None
    except ValueError as err:
        raise ResultsError(f"{path}: not valid JSON ({err}); {_REWRITE}") from err
    try:
        return _parse_run(data, str(path))
    except ResultsError as err:
        raise ResultsError(f"{err}; {_REWRITE}") from None


# The fix for a results file that cannot be read: the samples beside it are the record.
_REWRITE = ("write it again with the `eagle-eval run` command that made it (which rescores its samples without "
            "generating) or `eagle-eval score --output`")


# --- validation ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} to results.json")


def _require(obj: Any, key: str, kinds: type | tuple[type, ...], where: str, nullable: bool = False) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ResultsError(f"{where}: missing field '{key}'")
    value = obj[key]
    if value is None and nullable:
        return None
    # bool is an int subclass; a count or a value must not be true/false.
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise ResultsError(f"{where}: field '{key}' has type bool")
    if not isinstance(value, kinds):
        raise ResultsError(f"{where}: field '{key}' has type {type(value).__name__}")
    return value


def _parse_run(data: Any, source: str) -> RunResults:
    if not isinstance(data, dict):
        raise ResultsError(f"{source}: expected a JSON object at the top level")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsError(
            f"{source}: schema_version {version!r} is not supported (this eagle-eval reads {SCHEMA_VERSION})"
        )
    model = _require(data, "model", dict, source)
    settings = _require(data, "settings", dict, source)
    results = _require(data, "results", dict, source)
    _validated(validation.check_run, data, source)
    parsed: dict[str, TaskResult] = {}
    for name, entry in results.items():
        where = f"{source}: results[{name!r}]"
        if isinstance(entry, dict):
            _validated(validation.check_task, entry, where)
        parsed[name] = _parse_task(entry, where)
    return RunResults(
        run_id=_require(data, "run_id", str, source),
        created_at=_require(data, "created_at", str, source),
        command=_require(data, "command", str, source),
        seed=_require(data, "seed", int, source, nullable=True),
        model=ModelRecord(
            name=_require(model, "name", str, f"{source}: model"),
            hub_id=model.get("hub_id"),
            revision=model.get("revision"),
            dtype=model.get("dtype"),
            device=model.get("device"),
            settings=dict(model.get("settings") or {}),
            extra=model.get("extra") or {},
            provenance=model.get("provenance"),
            pinned=model.get("pinned"),
            weights=model.get("weights"),
            fingerprint=model.get("fingerprint"),
        ),
        settings=RunSettings(
            batch_size=settings.get("batch_size"),
            limit=settings.get("limit"),
            data_root=settings.get("data_root"),
            model_args=settings.get("model_args") or {},
            offset=int(settings.get("offset") or 0),
            gen_kwargs=settings.get("gen_kwargs"),
            predict_only=bool(settings.get("predict_only", False)),
        ),
        results=parsed,
        software=_require(data, "software", dict, source),
        hardware=_require(data, "hardware", dict, source),
        schema_version=version,
        variant=_parse_variant(data.get("variant"), source),
        predicted=dict(_require(data, "predicted", dict, source) if "predicted" in data else {}),
        label=_require(data, "label", str, source, nullable=True) if "label" in data else None,
    )


def _validated(check: Callable[[Any, str], None], data: Any, where: str) -> None:
    """Run one of eagle_eval.results.validation's checks; a wrong field becomes a ResultsError."""
    try:
        check(data, where)
    except ValueError as err:
        raise ResultsError(str(err)) from None


def _parse_variant(data: Any, where: str) -> VariantRecord | None:
    if data is None:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("label"), str):
        raise ResultsError(f"{where}: 'variant' must be null or an object with a string 'label'")
    knocked = data.get("knocked_out") or []
    if not isinstance(knocked, list) or not all(isinstance(k, dict) and isinstance(k.get("expert"), str) for k in knocked):
        raise ResultsError(f"{where}: variant.knocked_out must be a list of {{expert, label}} objects")
    return VariantRecord(
        label=data["label"],
        blind=bool(data.get("blind", False)),
        knocked_out=[{"expert": k["expert"], "label": str(k.get("label", k["expert"])),
                      **({"index": k["index"]} if isinstance(k.get("index"), int) else {})} for k in knocked],
        replacement=data.get("replacement"),
        calibration=data.get("calibration"),
    )


def _parse_task(entry: Any, where: str) -> TaskResult:
    if not isinstance(entry, dict):
        raise ResultsError(f"{where}: expected an object")
    headline = _require(entry, "headline", dict, where)
    timings = entry.get("timings") or {}
    return TaskResult(
        task=_require(entry, "task", str, where),
        paper_column=_require(entry, "paper_column", str, where, nullable=True),
        headline=Headline(
            metric=_require(headline, "metric", str, f"{where}.headline"),
            value=_require(headline, "value", (int, float), f"{where}.headline", nullable=True),
            units=_require(headline, "units", str, f"{where}.headline"),
        ),
        metrics=_require(entry, "metrics", dict, where),
        n_samples=_require(entry, "n_samples", int, where),
        n_errors=_require(entry, "n_errors", int, where),
        subset=_require(entry, "subset", bool, where),
        extraction=_require(entry, "extraction", dict, where),
        judge=_require(entry, "judge", dict, where, nullable=True),
        timings=Timings(
            samples_per_second=timings.get("samples_per_second"),
            time_to_first_token_s=timings.get("time_to_first_token_s"),
            wall_seconds=timings.get("wall_seconds"),
            tokens_generated=timings.get("tokens_generated"),
            tokens_per_second=timings.get("tokens_per_second"),
            samples_generated=timings.get("samples_generated"),
            generation_seconds=timings.get("generation_seconds"),
            ttft_calls=timings.get("ttft_calls"),
            launches=timings.get("launches"),
            samples_reused=timings.get("samples_reused"),
        ),
        server_scored=bool(entry.get("server_scored", False)),
        submission_file=entry.get("submission_file"),
        paper_protocol=bool(entry.get("paper_protocol", True)),
        sources=list(entry.get("sources") or []),
        n_input_truncated=int(entry.get("n_input_truncated", 0)),
        n_dataset_image_markers=int(entry.get("n_dataset_image_markers", 0)),
        n_answers_truncated=int(entry.get("n_answers_truncated", 0)),
        model_fingerprint=entry.get("model_fingerprint"),
        uncertainty=_require(entry, "uncertainty", dict, where, nullable=True)
        if "uncertainty" in entry
        else None,
        calibration=_require(entry, "calibration", dict, where, nullable=True) if "calibration" in entry else None,
        scoring_errors=list(entry.get("scoring_errors") or []),
        aggregation_error=entry.get("aggregation_error"),
        subset_reason=entry.get("subset_reason"),
        gen_kwargs=_require(entry, "gen_kwargs", dict, where, nullable=True) if "gen_kwargs" in entry else None,
        docs_fingerprint=entry.get("docs_fingerprint"),
        scorer=entry.get("scorer"),
    )
