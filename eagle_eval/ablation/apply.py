"""How a run applies its `Ablation`: checked once against the adapter, then per task and per request.

- Before the first task: `RunAblation.start` checks that the adapter can knock out the named experts
  (an `AblationError`, exit 2, otherwise) and resolves their names.
- Per task: the knocked-out experts' replacements are made from that task's calibration images (the
  first N images in dataset order, read from the same requests the task builds), so a task's score
  does not depend on which other tasks share the run, and a resumed run makes the same maps.
- Per request: blind strips images and placeholders (`eagle_eval.ablation.spec.blind_request`), for any
  adapter.
- Fingerprints: the ablation joins the run id's payload and every sample's model fingerprint, so a
  knock-out or blind run never resumes from, or into, the full model's predictions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from eagle_eval.ablation.spec import (
    Ablation,
    SupportsExpertKnockout,
    VisionExpert,
    blind_request,
    check_adapter_supports,
    variant_record,
)
from eagle_eval.api.task import Task
from eagle_eval.core.records import Doc, Request
from eagle_eval.results.document import VariantRecord


def calibration_images(task: Task, docs: Sequence[Doc], count: int) -> list[Image.Image]:
    """The first `count` images of the task's docs in dataset order; docs whose request fails are skipped
    (they fail again, recorded, when the task runs)."""
    images: list[Image.Image] = []
    for doc in docs:
        if len(images) >= count:
            break
        try:
            request = task.build_request(doc)
        except Exception:  # noqa: BLE001 - a bad doc is the task's business, reported when it runs
            continue
        images.extend(request.images[: count - len(images)])
    return images


@dataclass
class RunAblation:
    """The run's ablation once checked against its adapter."""

    ablation: Ablation = field(default_factory=Ablation)
    experts: list[VisionExpert] = field(default_factory=list)
    adapter: Any = None

    @classmethod
    def start(cls, ablation: Ablation, adapter: object, model: str) -> RunAblation:
        return cls(ablation, check_adapter_supports(ablation, adapter, model), adapter)

    @property
    def variant(self) -> VariantRecord | None:
        return variant_record(self.ablation, self.experts)

    def prepare_task(self, task: Task, docs: Sequence[Doc]) -> dict[str, Any] | None:
        """Knock out the experts for this task; returns results.json's per-task `calibration` (or None)."""
        if not self.experts:
            return None
        assert isinstance(self.adapter, SupportsExpertKnockout)
        images = (calibration_images(task, docs, self.ablation.calibration_images)
                  if self.ablation.uses_calibration else [])
        records = self.adapter.knock_out_experts([e.name for e in self.experts], self.ablation.replacement, images)
        if not self.ablation.uses_calibration:
            return None
        return {name: {"images": record.images, "digest": record.digest} for name, record in records.items()}

    def request(self, request: Request) -> Request:
        return blind_request(request) if self.ablation.blind else request

    def model_fingerprint(self, base: str) -> str:
        """The adapter's fingerprint, extended by the ablation (unchanged for the full model)."""
        payload = self.ablation.fingerprint_payload()
        if payload is None:
            return base
        if self.experts:  # the adapter's own names, however the user spelled them
            payload = {**payload, "experts": [e.name for e in self.experts]}
        text = json.dumps([base, payload], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]
