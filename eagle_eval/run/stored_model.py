"""The model stage when every sample is stored: re-score without loading the model.

A rerun of a finished run would load the model (seconds to minutes) only to generate nothing. So
after each load the run folder keeps a small record, `model-load.json`: what the load identified
(the model fingerprint every sample carries and results.json's model record), under a key of
everything that decides it and can be checked without loading: the registry entry, `--model-path`,
`--predictions`, `--revision`, `--dtype`, `--device` (and whether CUDA is there when none is
asked), `--batch-size`, the seed, the `--model-arg`s, the code of the adapter's package and of the
identity itself, the versions of torch and transformers, and a cheap identity of the weights
(eagle_eval.provenance.weights_source: a checkpoint folder's fingerprint, the commit a hub revision
resolves to, a predictions file's content hash).

A later launch whose key is the recorded one, and whose every task has, for every doc of its window,
a successful stored sample that matches the request built now, takes the recorded identity and
skips the load. The stages after it are the same: generation reuses every sample, scoring and
recording write the results.json a loaded run writes. Any doubt loads the model as before: no
record or another key, weights that cannot be identified (API models, whose load is cheap), a
missing, failed or stale sample, leftover rank files, an ablation, `--predict-only`, torchrun, or
an adapter handed in by the caller. The pins (`--lock`, `--require-pinned`) are checked against the
recorded provenance, as a load would check them.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import inspect
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eagle_eval.ablation.apply import RunAblation
from eagle_eval.api.adapter import ModelAdapter
from eagle_eval.api.task import Task
from eagle_eval.core.output_files import write_text_atomic
from eagle_eval.core.records import ModelInfo, Request
from eagle_eval.core.terminal import note
from eagle_eval.generation.gen_kwargs import GenKwargs
from eagle_eval.provenance.checkpoint import check_model
from eagle_eval.provenance.revisions import Provenance
from eagle_eval.provenance.weights_source import WeightsSource, source_identity, weights_source
from eagle_eval.results.document import ModelRecord
from eagle_eval.results.samples import SamplesFileError, latest_by_key, read_samples
from eagle_eval.run.distributed import rank_files
from eagle_eval.run.generate import GenerationSettings, built_request
from eagle_eval.run.log import RUN_LOG_FILENAME, log_line
from eagle_eval.run.model import LoadedModel, load_model
from eagle_eval.run.plan import RunPlan, TaskInputs

LOAD_RECORD_FILENAME = "model-load.json"
_RECORD_VERSION = 1
# Modules whose code decides the model fingerprint besides the adapter's own package.
_IDENTITY_MODULES = ("eagle_eval.core.records", "eagle_eval.provenance.identity", "eagle_eval.provenance.revisions",
                     "eagle_eval.provenance.checkpoint", "eagle_eval.provenance.weights_source", "eagle_eval.run.model")


def model_for_run(plan: RunPlan, inputs: TaskInputs, gen_kwargs: GenKwargs | None,
                  adapter: ModelAdapter | None = None) -> LoadedModel:
    """The recorded model when every sample is stored under it (nothing loads); else the model loaded,
    and what its load identified recorded for the next launch."""
    if adapter is None and _may_record(plan) and not plan.config.predict_only:
        stored = _stored_model(plan, inputs, gen_kwargs)
        if stored is not None:
            return stored
    model = load_model(plan, adapter)
    if adapter is None and _may_record(plan):
        _record_load(plan, model)
    return model


def _may_record(plan: RunPlan) -> bool:
    return plan.ctx.is_main and not plan.ctx.is_distributed and plan.config.ablation.is_full


def _record_load(plan: RunPlan, model: LoadedModel) -> None:
    """Write what this load identified, or remove an earlier record when this load cannot be told
    again without loading (so no stale record outlives the model it described)."""
    path = plan.run_dir / LOAD_RECORD_FILENAME
    source = weights_source(model.adapter.info(), plan.config.model_path, plan.config.predictions)
    settings = _settings(plan)
    key = _key(plan, source, settings) if source is not None and settings is not None else None
    if key is None or source is None:
        path.unlink(missing_ok=True)
        return
    record = {"version": _RECORD_VERSION, "key": key, "source": source.to_json(), "batch_size": model.batch_size,
              "model": asdict(model.record)}
    write_text_atomic(path, json.dumps(record, indent=1, sort_keys=True) + "\n")


def _key(plan: RunPlan, source: WeightsSource, settings: dict[str, Any],
         confirm_on_hub: bool = False) -> dict[str, Any] | None:
    """`settings` and the weights' identity now: None when that cannot be known without loading."""
    if source.kind != "predictions" and not plan.entry.loads_weights:
        return None  # an API model: its weights cannot be identified
    identity = source_identity(source, confirm_on_hub)
    return None if identity is None else {"settings": settings, "weights": identity}


def _settings(plan: RunPlan) -> dict[str, Any] | None:
    """The run's settings that decide the model's identity; None when the adapter's code is not found."""
    config, entry = plan.config, plan.entry
    code = _code_digest(entry.factory)
    if code is None:
        return None
    settings = {
        "model": entry.name,
        "model_path": str(Path(config.model_path).expanduser().resolve()) if config.model_path else None,
        "predictions": str(Path(config.predictions).expanduser().resolve()) if config.predictions else None,
        "revision": config.revision,
        "dtype": config.dtype,
        "device": plan.device,
        "cuda": _cuda_available() if plan.device is None and entry.needs_torch else None,
        "batch_size": config.batch_size,
        "seed": config.seed,
        "model_args": dict(sorted((str(k), str(v)) for k, v in config.model_args.items())),
        "code": code,
        "software": {name: _version(name) for name in ("eagle-eval", "torch", "transformers")},
    }
    return json.loads(json.dumps(settings))  # as it reads back from the record


def _code_digest(factory: object) -> str | None:
    """SHA-256 of the adapter package's modules and of those computing the model's identity."""
    module = inspect.getmodule(factory)
    file = getattr(module, "__file__", None)
    if not file:
        return None
    files = sorted(Path(file).parent.glob("*.py"))
    files += [Path(str(sys.modules[name].__file__)) for name in _IDENTITY_MODULES if name in sys.modules]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def recorded_fingerprint(run_dir: Path) -> str | None:
    """The model fingerprint the run folder's last load identified, or None (no record, or not whole).

    For views that must judge stored samples before any results.json exists (a run stopped in its
    first task): the key is not checked here, so it says what the samples were made by, not that a
    launch now would load the same model."""
    path = run_dir / LOAD_RECORD_FILENAME
    recorded = _read_record(path) if path.is_file() else None
    return str(recorded[2].fingerprint) if recorded is not None else None


def _read_record(path: Path) -> tuple[dict[str, Any], WeightsSource, ModelRecord, int] | None:
    """(key, source, model record, batch size) of a load record, or None for any record not whole."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        source = WeightsSource.from_json(data["source"])
        record = ModelRecord(**data["model"])
        batch_size = data["batch_size"]
        if (data["version"] != _RECORD_VERSION or source is None or not isinstance(record.fingerprint, str)
                or not isinstance(batch_size, int) or not isinstance(data["key"], dict)):
            return None
        return data["key"], source, record, batch_size
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _stored_model(plan: RunPlan, inputs: TaskInputs, gen_kwargs: GenKwargs | None) -> LoadedModel | None:
    """The recorded model, when its key holds now and every sample of every task is stored under it."""
    path = plan.run_dir / LOAD_RECORD_FILENAME
    recorded = _read_record(path) if path.is_file() else None
    if recorded is None:
        return None
    key, source, record, batch_size = recorded
    fingerprint = str(record.fingerprint)  # a string: _read_record checked it
    settings_now = _settings(plan)
    if settings_now is None or key.get("settings") != settings_now:
        return None
    if key != _key(plan, source, settings_now, confirm_on_hub=True):  # the weights: checked last, may ask the hub
        return None
    adapter = _RecordedModel(_info(record), batch_size)
    settings = GenerationSettings(adapter, batch_size, False, fingerprint, RunAblation(plan.config.ablation),
                                  gen_kwargs=gen_kwargs)
    if not all(_every_sample_stored(plan, task, inputs, settings) for task in plan.tasks):
        return None
    provenance = Provenance.from_json(record.provenance) if record.provenance is not None else None
    pinned = check_model(plan.entry.name, plan.config.revision, provenance, plan.pins.lock, plan.pins.require_pinned)
    record.pinned = pinned if provenance is not None else None  # as a load decides it (run.model._identify)
    message = (f"{plan.entry.name} not loaded: every sample of {', '.join(t.name for t in plan.tasks)} is stored "
               f"and matches (model fingerprint {record.fingerprint}, as {path} records its last load)")
    note(message)
    log_line(plan.run_dir / RUN_LOG_FILENAME, message)
    return LoadedModel(adapter, settings.ablation, batch_size, fingerprint, record)


def _every_sample_stored(plan: RunPlan, task: Task, inputs: TaskInputs, settings: GenerationSettings) -> bool:
    """Whether every doc of the task's window has a successful stored sample matching its request now."""
    samples_path = plan.run_dir / "samples" / f"{task.name}.jsonl"
    if not samples_path.is_file() or rank_files(samples_path):
        return False  # rank files of a killed launch are folded in first: the load decides then
    try:
        stored = latest_by_key(read_samples(samples_path))
    except (SamplesFileError, OSError):
        return False  # a torn or damaged file: the loaded run repairs it, or says what is wrong
    fingerprint = str(settings.model_fingerprint)
    for doc in inputs.docs[task.name][0]:
        previous = stored.get(doc.key)
        if previous is None or previous.error is not None:
            return False
        try:
            task.prompt(doc)  # generation orders by it: a prompt that fails is recorded as a failure
            built = built_request(task, doc, settings, fingerprint)
        except Exception:
            return False
        if built[1] != previous.fingerprint:
            return False
    return True


def _info(record: ModelRecord) -> ModelInfo:
    return ModelInfo(name=record.name, hub_id=record.hub_id, revision=record.revision, dtype=record.dtype,
                     device=record.device, extra=dict(record.extra), settings=dict(record.settings))


@dataclass
class _RecordedModel:
    """Stands in for the adapter when nothing is to generate: what its load recorded, and no model."""

    recorded: ModelInfo
    batch_size: int

    def info(self) -> ModelInfo:
        return copy.deepcopy(self.recorded)

    def suggested_batch_size(self) -> int:
        return self.batch_size

    def generate(self, requests: Sequence[Request]) -> list[str]:
        raise RuntimeError(f"{self.recorded.name} was not loaded (every sample was stored); nothing may generate")
