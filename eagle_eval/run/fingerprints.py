"""Run and sample fingerprints: what decides whether a run resumes in place and a stored prediction is reused.

A run's id names the model and checkpoint asked for (model, --model-path, --revision, seed, replayed
predictions, --model-arg settings, --gen-kwargs overrides, an expert knock-out or blind), so the same command lands in the same run directory. The task
list, --limit, --dtype, --device and the batch size are left out: a run directory grows by tasks
and docs, and whether a stored prediction still holds is decided per sample, after defaults are
resolved. A sample's fingerprint joins the model's (the adapter's resolved name, hub id, revision,
dtype and settings, the weights actually loaded and the device kind: eagle_eval.provenance.identity) with
the request's (`Request.prompt_fingerprint`: prompt text, images, generation settings); a stored
line is reused only when it matches, so spelling out a default changes nothing, and new weights or
another dtype regenerate exactly what they change.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from eagle_eval.api.registry import resolve_model_name

if TYPE_CHECKING:
    from eagle_eval.run.config import RunConfig

# A request that could not be built has no prompt to hash; its line carries this instead.
UNBUILT = "unbuilt"


def compute_run_id(config: RunConfig) -> str:
    """`<model>__<hash8>` from the model and checkpoint asked for, so a re-run resumes in place.

    Tasks, limit, dtype, device, batch size, output and data directories are left out: each sample's
    fingerprint says whether its stored prediction still holds (see the module docstring).
    """
    model = resolve_model_name(config.model)
    model_path = str(Path(config.model_path).expanduser().resolve()) if config.model_path else None
    payload = {
        "model": model,
        "seed": config.seed,
        "model_path": model_path,
        "revision": config.revision,
        "predictions": str(Path(config.predictions).resolve()) if config.predictions else None,
    }
    if config.model_args:  # only when given, so the ids of runs without them stay as they were
        payload["model_args"] = dict(sorted(config.model_args.items()))
    if config.gen_kwargs is not None:  # sampling or another budget is another run, never resumed into
        payload["gen_kwargs"] = config.gen_kwargs.to_json()
    if not config.ablation.is_full:  # absent for the full model, so its run ids stay as they were
        payload["ablation"] = config.ablation.fingerprint_payload()
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:8]
    # `hf:org/name` or `hf:/some/folder` must stay one directory name.
    name = re.sub(r"[^A-Za-z0-9._+-]+", "_", model).strip("_")
    return f"{name}{config.ablation.run_id_suffix}__{digest}"


def sample_fingerprint(model_fingerprint: str, prompt_fingerprint: str) -> str:
    return hashlib.sha256(f"{model_fingerprint}:{prompt_fingerprint}".encode()).hexdigest()[:16]
