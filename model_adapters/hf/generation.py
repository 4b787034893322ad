"""Left-padded batched greedy decoding through the checkpoint's own `generate`, stopped row by row.

`generate` knows each architecture's cache, position ids (rotary offsets of left-padded rows,
Qwen2-VL's 3-D positions) and image-feature plumbing, so it is used as is; what it lacks is a
per-row budget. `RowStopper`, a transformers `StoppingCriteria`, ends each row at its own
`max_new_tokens`, at EOS or at one of its own stop strings, and remembers where, so the answer is
cut there even though finished rows keep receiving pad tokens until the whole batch is done.
A row that samples (`--gen-kwargs`) draws from its own generator (eagle_eval.generation.sampling.PerRowSampling).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

from eagle_eval.generation.decoding import RowSpec, cut_at_stop_strings, finish_answer
from eagle_eval.generation.sampling import PerRowSampling, row_samplers

__all__ = ["BatchOutput", "RowSpec", "RowStopper", "greedy_generate"]


@dataclass
class BatchOutput:
    texts: list[str]
    token_ids: list[list[int]]
    first_token_s: float = 0.0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class RowStopper(StoppingCriteria):
    """Marks each row done at its own budget, EOS or stop string; records the generated length then."""

    def __init__(self, specs: Sequence[RowSpec], prompt_length: int, eos_token_ids: Sequence[int],
                 tokenizer: Any) -> None:
        self.specs = list(specs)
        self.prompt_length = prompt_length
        self.eos = set(eos_token_ids)
        self.tokenizer = tokenizer
        self.lengths: list[int | None] = [None] * len(self.specs)
        self.first_call_at: float | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: Any = None, **kwargs: Any) -> torch.BoolTensor:
        if self.first_call_at is None:
            self.first_call_at = time.perf_counter()
        generated = input_ids[:, self.prompt_length:].tolist()
        for row, tokens in enumerate(generated):
            if self.lengths[row] is None:
                self.lengths[row] = self._stop_length(self.specs[row], tokens)
        done = torch.tensor([length is not None for length in self.lengths], device=input_ids.device)
        return cast(torch.BoolTensor, done)  # a bool tensor, the type StoppingCriteria declares

    def _stop_length(self, spec: RowSpec, tokens: list[int]) -> int | None:
        if tokens and tokens[-1] in self.eos:
            return len(tokens) - 1
        if len(tokens) >= spec.max_new_tokens:
            return spec.max_new_tokens
        if spec.until and cut_at_stop_strings(self.tokenizer.decode(tokens, skip_special_tokens=True), spec.until)[1]:
            return len(tokens)
        return None


@torch.no_grad()
def greedy_generate(model: Any, tokenizer: Any, inputs: dict[str, Any], specs: Sequence[RowSpec],
                    eos_token_ids: Sequence[int], pad_token_id: int) -> BatchOutput:
    """Greedy answers for one left-padded batch prepared by the processor."""
    start = time.perf_counter()
    prompt_length = inputs["input_ids"].shape[1]
    budget = max((spec.max_new_tokens for spec in specs), default=0)
    if budget <= 0:
        return BatchOutput(texts=[""] * len(specs), token_ids=[[] for _ in specs])
    stopper = RowStopper(specs, prompt_length, eos_token_ids, tokenizer)
    samplers = row_samplers(specs)
    # Sampled rows draw from their own generators (eagle_eval.generation.sampling); generate stays an argmax over them.
    sampling = LogitsProcessorList([PerRowSampling(samplers)] if any(samplers) else [])
    output = model.generate(
        **inputs, do_sample=False, num_beams=1, max_new_tokens=budget, min_new_tokens=0,
        temperature=None, top_p=None, top_k=None, eos_token_id=list(eos_token_ids), pad_token_id=pad_token_id,
        stopping_criteria=StoppingCriteriaList([stopper]), logits_processor=sampling, return_dict_in_generate=False,
    )
    generated = output[:, prompt_length:].tolist()
    token_ids = [
        tokens[: stopper.lengths[row] if stopper.lengths[row] is not None else specs[row].max_new_tokens]
        for row, tokens in enumerate(generated)
    ]
    texts = [finish_answer(tokenizer, tokens, spec) for tokens, spec in zip(token_ids, specs, strict=True)]
    first = (stopper.first_call_at or time.perf_counter()) - start
    return BatchOutput(texts=texts, token_ids=token_ids, first_token_s=first, seconds=time.perf_counter() - start)

