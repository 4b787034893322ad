"""The model-adapter contract: a batch of requests in, one string per request out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from eagle_eval.records import ModelInfo, Request


@runtime_checkable
class ModelAdapter(Protocol):
    """A model the runner can evaluate.

    The adapter owns everything model-specific (template, image placement, preprocessing, dtype,
    device). `generate` must return one prediction per request, in order, and must not depend on
    which other requests share the batch (batch invariance). It may raise
    `torch.cuda.OutOfMemoryError`; the runner then halves the batch and retries.
    """

    def info(self) -> ModelInfo: ...

    def generate(self, requests: Sequence[Request]) -> list[str]: ...

    def suggested_batch_size(self) -> int: ...
