"""What every generating adapter does the same way around its own decoding loop.

A row's budget and stop strings (`RowSpec`), cutting text at the earliest stop string, and turning
a row's generated tokens into the answer that is scored. Model-agnostic: adapters import these;
the core never calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RowSpec:
    """How one row decodes: its token budget and stop strings."""

    max_new_tokens: int
    until: tuple[str, ...] = ()


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
