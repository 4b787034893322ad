"""Calling the adapter in batches: out-of-memory backoff, per-sample failure isolation, generation stats.

CUDA out-of-memory halves the batch size and retries the same requests, so nothing is lost; the
smaller size carries over to the next task. A batch that fails otherwise is retried one request at a
time, so one bad sample is recorded with its reason and its batch-mates still get answers.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from eagle_eval.api.adapter import ModelAdapter, ReportsCallStats
from eagle_eval.core.records import Request
from eagle_eval.results.document import Timings
from eagle_eval.run.scoring import Outcome


@dataclass
class GenerationStats:
    """One launch's generation of one task: what the progress bar's rate and results' timings count."""

    n_generated: int = 0
    seconds: float = 0.0
    ttft: list[float] = field(default_factory=list)
    tokens_generated: int | None = None  # None when the adapter reports no token counts
    final_batch_size: int | None = None  # after any OOM halving; the next task starts from it
    n_reused: int = 0  # stored predictions whose fingerprint still holds
    # The reused predictions' own `seconds` (samples lines): a launch killed before it wrote the
    # task's results entry still counts through them.
    reused_timed: int = 0
    reused_seconds: float = 0.0

    def timings(self, wall_seconds: float, earlier: Timings | None = None) -> Timings:
        """This launch's figures added to `earlier` (the task's entry in the run directory's results).

        Totals over totals: samples/s is every counted sample over every counted second inside
        `generate`, the time to first token the mean over every counted call. A launch that generated
        nothing keeps the earlier figures as they were (files older than the counters included).
        """
        wall = round(wall_seconds, 3)
        if earlier is not None and self.n_generated == 0 and earlier.samples_per_second is not None:
            return replace(earlier, wall_seconds=wall, samples_reused=self.n_reused)
        if earlier is not None and earlier.generation_seconds:
            base = earlier
        elif self.reused_timed:
            base = Timings(samples_generated=self.reused_timed, generation_seconds=self.reused_seconds, launches=1)
        else:
            base = Timings(samples_generated=0, generation_seconds=0.0, launches=0)
        samples = self.n_generated + (base.samples_generated or 0)
        seconds = self.seconds + (base.generation_seconds or 0.0)
        calls = len(self.ttft) + (base.ttft_calls or 0)
        ttft_sum = sum(self.ttft) + (base.time_to_first_token_s or 0.0) * (base.ttft_calls or 0)
        # Tokens only when every counted sample's tokens were counted; otherwise the rate would mislead.
        tokens = None
        earlier_tokens_known = base.tokens_generated is not None or not base.samples_generated
        if self.tokens_generated is not None and earlier_tokens_known:
            tokens = self.tokens_generated + (base.tokens_generated or 0)
        elif self.n_generated == 0:
            tokens = base.tokens_generated
        return Timings(
            samples_per_second=round(samples / seconds, 4) if seconds > 0 else None,
            time_to_first_token_s=round(ttft_sum / calls, 4) if calls else None,
            wall_seconds=wall,
            tokens_generated=tokens,
            tokens_per_second=round(tokens / seconds, 3) if tokens is not None and seconds > 0 else None,
            samples_generated=samples,
            generation_seconds=round(seconds, 6),
            ttft_calls=calls,
            launches=(base.launches or 0) + (1 if self.n_generated else 0),
            samples_reused=self.n_reused,
        )


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA OOM, recognised by class (torch's, or any class named OutOfMemoryError) or message."""
    if any(cls.__name__ == "OutOfMemoryError" for cls in type(error).__mro__):
        return True
    return isinstance(error, RuntimeError) and "CUDA out of memory" in str(error)


def _free_accelerator_memory() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


class BatchGenerator:
    """Calls the adapter on batches; halves the batch size on OOM, isolates per-sample failures."""

    def __init__(self, adapter: ModelAdapter, batch_size: int, stats: GenerationStats) -> None:
        self.adapter = adapter
        self.batch_size = max(1, batch_size)
        self.stats = stats
        self._last_call_seconds = 0.0  # the per-request share of the latest adapter call, failed or not

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
            return [Outcome(prediction=None, error=_describe(batch_error), seconds=self._last_call_seconds)]
        outcomes = []
        for request in chunk:
            try:
                outcomes.append(self._call([request])[0])
            except Exception as err:
                if is_out_of_memory(err):
                    _free_accelerator_memory()
                outcomes.append(Outcome(prediction=None, error=_describe(err), seconds=self._last_call_seconds))
        return outcomes

    def _call(self, chunk: Sequence[Request]) -> list[Outcome]:
        started = time.perf_counter()
        try:
            predictions = self.adapter.generate(list(chunk))
        finally:
            elapsed = time.perf_counter() - started
            self._last_call_seconds = round(elapsed / len(chunk), 6)
        self.stats.seconds += elapsed
        if not isinstance(predictions, list) or len(predictions) != len(chunk):
            got = len(predictions) if isinstance(predictions, list) else type(predictions).__name__
            raise RuntimeError(f"adapter returned {got} predictions for {len(chunk)} requests")
        if not all(isinstance(p, str) for p in predictions):
            raise RuntimeError("adapter returned a non-string prediction")
        self.stats.n_generated += len(chunk)
        call = self.adapter.last_call_stats() if isinstance(self.adapter, ReportsCallStats) else None
        notes: Sequence[dict[str, Any] | None] = [None] * len(chunk)
        if call is not None:
            if call.time_to_first_token_s is not None:
                self.stats.ttft.append(float(call.time_to_first_token_s))
            if call.tokens_generated is not None:
                self.stats.tokens_generated = (self.stats.tokens_generated or 0) + int(call.tokens_generated)
            if len(call.notes) == len(chunk):
                notes = call.notes
        share = self._last_call_seconds
        return [Outcome(prediction=p, notes=n, seconds=share) for p, n in zip(predictions, notes, strict=True)]


def _describe(error: BaseException) -> str:
    if is_out_of_memory(error):
        return f"out of memory at batch size 1: {error}"
    return f"{type(error).__name__}: {error}"
