"""Loading the model: the adapter built from the plan, the ablation applied, its identity checked.

The checkpoint's revision is checked against the pins and the weights actually loaded are hashed
before any generation, so every sample's fingerprint names the model that made it
(eagle_eval.provenance.identity; a knock-out or blind run is another model, eagle_eval.ablation.apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eagle_eval.ablation.apply import RunAblation
from eagle_eval.api.adapter import ModelAdapter
from eagle_eval.api.registry import ModelOptions
from eagle_eval.core.records import ModelInfo
from eagle_eval.provenance.identity import effective_model_fingerprint, loaded_weights
from eagle_eval.results.document import ModelRecord
from eagle_eval.run.plan import RunPlan


@dataclass
class LoadedModel:
    """The adapter ready to generate, and what results.json records of it."""

    adapter: ModelAdapter
    ablation: RunAblation
    batch_size: int
    fingerprint: str
    record: ModelRecord


def load_model(plan: RunPlan, adapter: ModelAdapter | None = None) -> LoadedModel:
    """Build the plan's adapter (or take the one given), apply the ablation, and identify the weights."""
    config = plan.config
    if not plan.show_progress:
        quiet_library_bars()
    if adapter is None:
        options = ModelOptions(
            device=plan.device,
            dtype=config.dtype,
            batch_size=None if plan.auto_batch_size else int(config.batch_size),
            seed=config.seed,
            model_path=config.model_path,
            revision=config.revision,
            predictions=Path(config.predictions) if config.predictions else None,
            extra=dict(config.model_args),
        )
        adapter = plan.entry.factory(options)
    ablation = RunAblation.start(config.ablation, adapter, plan.entry.name)  # exit 2 before any generation
    batch_size = adapter.suggested_batch_size() if plan.auto_batch_size else int(config.batch_size)
    info = adapter.info()
    fingerprint, record = _identify(plan, info, ablation)
    return LoadedModel(adapter, ablation, batch_size, fingerprint, record)


def quiet_library_bars() -> None:
    """With our bars off, the libraries' too: the hub's downloads and transformers' "Loading weights"
    draw to stderr on their own, and a log without a terminal fills with their carriage returns."""
    import sys

    try:
        from huggingface_hub.utils import disable_progress_bars
    except ImportError:
        pass
    else:
        disable_progress_bars()  # transformers imported later reads this
    transformers = sys.modules.get("transformers")
    if transformers is not None:  # imported already: it decided at import, so tell it directly
        transformers.utils.logging.disable_progress_bar()


def _identify(plan: RunPlan, info: ModelInfo, ablation: RunAblation) -> tuple[str, ModelRecord]:
    """The model's fingerprint and results record; the revision is checked against the pins here."""
    config = plan.config
    provenance, weights_pinned = plan.pins.check_model(info, config.revision, plan.entry.name)
    weights = loaded_weights(info, config.model_path)
    fingerprint = ablation.model_fingerprint(effective_model_fingerprint(info, weights, provenance))
    record = ModelRecord(
        name=info.name, hub_id=info.hub_id, revision=info.revision, dtype=info.dtype, device=info.device,
        settings=dict(info.settings),
        extra=dict(info.extra),
        provenance=provenance.to_json() if provenance is not None else None,
        pinned=weights_pinned,
        weights=weights.to_json() if weights else None,
        fingerprint=fingerprint,
    )
    return fingerprint, record
