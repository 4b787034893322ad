"""What every generating adapter does the same way around its own decoding loop.

A row's budget and stop strings (`RowSpec`), cutting text at the earliest stop string, and turning
a row's generated tokens into the answer that is scored. Model-agnostic: adapters import these;
the core never calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eagle_eval.core.records import GenerationSettings


@dataclass(frozen=True)
class RowSpec:
    """How one row decodes: its token budget and stop strings, and how it samples (temperature 0: greedy)."""

    max_new_tokens: int
    until: tuple[str, ...] = ()
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int | None = None

    @classmethod
    def of(cls, generation: GenerationSettings, max_new_tokens: int | None = None) -> RowSpec:
        """A request's settings as a row spec; `max_new_tokens` replaces its budget (an adapter's cap)."""
        budget = generation.max_new_tokens if max_new_tokens is None else max_new_tokens
        return cls(budget, tuple(generation.until), generation.temperature, generation.top_p, generation.top_k,
                   generation.seed)

    @property
    def sampling(self) -> bool:
        return self.temperature > 0


def cut_at_stop_strings(text: str, until: Sequence[str]) -> tuple[str, bool]:
    """Text up to the earliest stop string (as lmms-eval's `until` does), and whether one was found."""
    cut = min((text.find(s) for s in until if s and s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def finish_answer(tokenizer: Any, tokens: list[int], spec: RowSpec) -> str:
    """The scored answer: tokens decoded without special tokens, cut at a stop string, stripped."""
    text = tokenizer.decode(tokens, skip_special_tokens=True)
    if spec.until:
        text = cut_at_stop_strings(text, spec.until)[0]
    return text.strip()
