"""Sampling one row's next token, when `--gen-kwargs` asks for it (eagle_eval.generation.gen_kwargs).

The filtering is transformers' own (its temperature, top-k and top-p logits warpers, in the order
`generate` applies them); what is ours is the random source: every row draws from its own
`torch.Generator`, seeded with the sample's seed, so a sampled answer is the same whatever its
batch-mates, its place in the batch, or a resume in between. Greedy rows stay an argmax. Adapters
import this; the core never does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers.generation.logits_process import (
    LogitsProcessor,
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from eagle_eval.generation.decoding import RowSpec


class RowSampler:
    """Draws one row's tokens from its own generator, after transformers' warpers."""

    def __init__(self, spec: RowSpec) -> None:
        warpers: list[LogitsProcessor] = [TemperatureLogitsWarper(spec.temperature)]
        if spec.top_k:
            warpers.append(TopKLogitsWarper(spec.top_k))
        if spec.top_p < 1:
            warpers.append(TopPLogitsWarper(spec.top_p))
        self.warpers = LogitsProcessorList(warpers)
        self.generator = torch.Generator().manual_seed(spec.seed or 0)  # on the CPU, whatever the model's device

    def choose(self, logits: torch.Tensor) -> int:
        """A token drawn from one row's next-token logits [vocab]."""
        batch = logits.detach().float().cpu()[None]
        scores = self.warpers(None, batch)  # type: ignore[arg-type]  # these warpers never read input_ids
        probs = torch.softmax(scores, dim=-1)
        return int(torch.multinomial(probs[0], 1, generator=self.generator))


def row_samplers(specs: Sequence[RowSpec]) -> list[RowSampler | None]:
    """One sampler per sampled row, None for greedy rows."""
    return [RowSampler(spec) if spec.sampling else None for spec in specs]


def next_tokens(logits: torch.Tensor, samplers: Sequence[RowSampler | None]) -> torch.Tensor:
    """The next token of each row [batch] from its logits [batch, vocab]: an argmax, or its sampler's draw."""
    tokens = logits.argmax(dim=-1)
    for row, sampler in enumerate(samplers):
        if sampler is not None:
            tokens[row] = sampler.choose(logits[row])
    return tokens


class PerRowSampling(LogitsProcessor):
    """For `generate(do_sample=False)`: each sampled row's scores keep only its own draw, so the
    argmax `generate` then takes is that draw; greedy rows pass through unchanged."""

    def __init__(self, samplers: Sequence[RowSampler | None]) -> None:
        self.samplers = list(samplers)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        chosen = scores.clone()
        for row, sampler in enumerate(self.samplers):
            if sampler is not None:
                token = sampler.choose(scores[row])
                chosen[row] = float("-inf")
                chosen[row, token] = 0.0
        return chosen
