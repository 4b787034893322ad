"""Run and sample fingerprints: what decides whether a run resumes in place and a stored prediction is reused.

A run's id hashes everything that changes predictions (model, tasks, limit, device, dtype, seed,
checkpoint, --model-arg settings), so the same command lands in the same run directory. A sample's
fingerprint joins the model's fingerprint (`ModelInfo.fingerprint`) with the request's
(`Request.prompt_fingerprint`); a stored line is reused only when it matches.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from eagle_eval.registry import resolve_model_name

if TYPE_CHECKING:
    from eagle_eval.runner import RunConfig

# A request that could not be built has no prompt to hash; its line carries this instead.
UNBUILT = "unbuilt"


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
