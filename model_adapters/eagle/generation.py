"""Batched greedy decoding over the Eagle LLM with a KV cache.

A small loop of our own rather than `generate(inputs_embeds=…)`: it passes explicit position ids for
left-padded rows at every step (so a row's numbers do not depend on its batch-mates), gives each row
its own `max_new_tokens` and stop strings, drops finished rows from the cache so long answers do not
keep short ones' compute alive, and measures the time to the first token. Greedy decoding is an
argmax; a row that samples (`--gen-kwargs temperature=...`) draws from its own generator after
transformers' logits warpers (eagle_eval.generation.sampling).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import DynamicCache

from eagle_eval.generation.decoding import RowSpec, cut_at_stop_strings
from eagle_eval.generation.decoding import finish_answer as _finish
from eagle_eval.generation.sampling import next_tokens as pick_next_tokens
from eagle_eval.generation.sampling import row_samplers
from eagle_eval.model_adapters.eagle.modeling import EagleForCausalLM, MultimodalInputs

__all__ = ["BatchResult", "RowSpec", "cache_keyword", "cut_at_stop_strings", "greedy_generate"]


def cache_keyword(llm: Any) -> str:
    """The name under which this transformers release takes the KV cache: `cache` in the releases that
    deprecate `past_key_values` (its removal is announced for 5.40), `past_key_values` before them."""
    return "cache" if "cache" in inspect.signature(llm.forward).parameters else "past_key_values"


@dataclass
class BatchResult:
    texts: list[str]
    token_ids: list[list[int]]
    prefill_s: float = 0.0
    decode_s: float = 0.0
    steps: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@torch.no_grad()
def greedy_generate(
    model: EagleForCausalLM,
    tokenizer: Any,
    inputs: MultimodalInputs,
    specs: Sequence[RowSpec],
    eos_token_ids: Sequence[int],
) -> BatchResult:
    """Decode every row until EOS, its max_new_tokens or one of its stop strings: greedily, or sampled
    from the row's own generator where its spec asks (`--gen-kwargs`, eagle_eval.generation.sampling)."""
    llm = model.llm
    batch = inputs.inputs_embeds.shape[0]
    if len(specs) != batch:
        raise ValueError(f"{len(specs)} row specs for a batch of {batch}")
    samplers = row_samplers(specs)
    decoded = _DecodedRows(tokenizer, specs, set(eos_token_ids))
    start = time.perf_counter()
    result = BatchResult(texts=[], token_ids=decoded.generated)
    if not decoded.any_live():
        result.texts = [""] * batch
        return result

    cache = DynamicCache(config=llm.config)
    attention_mask = inputs.attention_mask
    cache_arg = {cache_keyword(llm): cache}
    out = llm(inputs_embeds=inputs.inputs_embeds, attention_mask=attention_mask,
              position_ids=inputs.position_ids, use_cache=True, logits_to_keep=1, **cache_arg)
    next_tokens = pick_next_tokens(out.logits[:, -1], samplers)
    last_positions = inputs.position_ids[:, -1]
    rows = list(range(batch))  # cache row -> request row
    tokens = next_tokens.tolist()  # waits for the prefill, so its time is all in prefill_s
    result.prefill_s = time.perf_counter() - start
    steps = 0
    while True:
        steps += 1
        keep = decoded.take(tokens, rows)
        if not keep:
            break
        if len(keep) < len(rows):
            # Finished rows leave the batch; their cache rows, masks and positions go with them.
            # A CPU index can select rows of tensors on any device, as the layers of a model spread
            # over several GPUs are.
            index = torch.tensor(keep)
            cache.batch_select_indices(index)
            attention_mask = attention_mask[index]
            last_positions = last_positions[index]
            next_tokens = next_tokens[index]
            rows = [rows[slot] for slot in keep]
        attention_mask = torch.cat([attention_mask, attention_mask.new_ones(len(rows), 1)], dim=1)
        last_positions = last_positions + 1
        out = llm(input_ids=next_tokens[:, None], attention_mask=attention_mask,
                  position_ids=last_positions[:, None], use_cache=True, **cache_arg)
        next_tokens = pick_next_tokens(out.logits[:, -1], [samplers[row] for row in rows])
        tokens = next_tokens.tolist()
    result.decode_s = time.perf_counter() - start - result.prefill_s
    result.steps = steps
    result.texts = [t if t is not None else "" for t in decoded.texts]
    return result


class _DecodedRows:
    """Each request row's tokens so far and, once it is finished, its text (a row asked for no
    tokens is finished, empty, from the start)."""

    def __init__(self, tokenizer: Any, specs: Sequence[RowSpec], eos: set[int]) -> None:
        self.tokenizer, self.specs, self.eos = tokenizer, specs, eos
        self.generated: list[list[int]] = [[] for _ in specs]
        self.texts: list[str | None] = [None if spec.max_new_tokens > 0 else "" for spec in specs]

    def any_live(self) -> bool:
        return any(text is None for text in self.texts)

    def take(self, tokens: list[int], rows: list[int]) -> list[int]:
        """Add each live row's next token (`tokens[slot]` for request row `rows[slot]`); the slots of
        the rows still decoding."""
        keep: list[int] = []
        for slot, row in enumerate(rows):
            if self.texts[row] is not None:
                continue
            if self._finishes(row, tokens[slot]):
                self.texts[row] = _finish(self.tokenizer, self.generated[row], self.specs[row])
            else:
                keep.append(slot)
        return keep

    def _finishes(self, row: int, token: int) -> bool:
        spec = self.specs[row]
        done = token in self.eos
        if not done:
            self.generated[row].append(token)
        if not done and spec.until:
            text = self.tokenizer.decode(self.generated[row], skip_special_tokens=True)
            done = cut_at_stop_strings(text, spec.until)[1]
        return done or len(self.generated[row]) >= spec.max_new_tokens

