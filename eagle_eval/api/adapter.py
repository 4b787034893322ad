"""The model-adapter contract: a batch of requests in, one string per request out.

Besides the three methods every adapter has (`ModelAdapter`), an adapter may offer typed extras the
runner looks for with `isinstance` against a small protocol, never by attribute name:
`ReportsCallStats` (what the last `generate` call measured). Model-specific commands reach a model
family through `ModelCapabilities` on its registry entry (eagle_eval.api.registry). Errors an adapter
raises about what the user gave it (a checkpoint that does not fit, a bad --model-arg) subclass
`AdapterError`, which the command line prints as one line (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from eagle_eval.core.records import ModelInfo, Request


class AdapterError(Exception):
    """A model that cannot be used as given: a checkpoint that does not fit its config, an unknown or
    malformed --model-arg. The user's input, not a bug: one line naming the fix, exit 2."""


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


@dataclass(frozen=True)
class CallStats:
    """What one `generate` call measured.

    `time_to_first_token_s`: from the call's start to the first generated token of its first batch.
    `tokens_generated`: new tokens over all requests of the call. `notes`: one entry
    per request, in order, saying something about its input that results should count (Eagle:
    `{"input_positions": N, "input_truncated": bool}`), or empty. `timings`: the adapter's own split
    of the time (prefill_s, decode_s, ...), recorded as given.
    """

    seconds: float
    time_to_first_token_s: float | None = None
    tokens_generated: int | None = None
    notes: tuple[dict[str, Any] | None, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class ReportsCallStats(Protocol):
    """An adapter that measures its calls; the runner reads this after each `generate`."""

    def last_call_stats(self) -> CallStats | None: ...
