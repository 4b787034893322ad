"""The Eagle (v1) multimodal model: vision tower → projector → image embeddings spliced into a Llama.

The module tree reproduces the released checkpoints' key names exactly, so a checkpoint loads without
renaming: `model.embed_tokens`, `model.layers.N…`, `model.norm`, `lm_head.weight` (a transformers
`LlamaForCausalLM`), `model.vision_tower.vision_towers.{i}.vision_tower.…` and `model.mm_projector.{0,2}.…`.

Why a wrapper rather than a `LlamaForCausalLM` subclass: the LLM stays the stock transformers class
(no overridden forward or generate to keep in step with new transformers releases); the wrapper only
registers the LLM's own `model` and `lm_head` under its names and hangs the tower and projector on
`model`, which is where the training code put them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers import LlamaForCausalLM

from eagle_eval.model_adapters.eagle.config import EagleConfig
from eagle_eval.model_adapters.eagle.projector import build_projector
from eagle_eval.model_adapters.eagle.templates import IMAGE_TOKEN_INDEX


@dataclass
class MultimodalInputs:
    """A left-padded batch ready for the LLM: pads are zero vectors the attention mask hides."""

    inputs_embeds: torch.Tensor  # [B, L, H]
    attention_mask: torch.Tensor  # [B, L], 1 for real positions
    position_ids: torch.Tensor  # [B, L], 0.. along each row's real positions

    @property
    def lengths(self) -> list[int]:
        return self.attention_mask.sum(dim=1).tolist()


class EagleForCausalLM(nn.Module):
    def __init__(self, config: EagleConfig, vision_tower: nn.Module | None = None,
                 attn_implementation: str = "sdpa") -> None:
        super().__init__()
        self.config = config
        config.llm._attn_implementation = attn_implementation
        llm = LlamaForCausalLM(config.llm)
        if vision_tower is None:
            from eagle_eval.model_adapters.eagle.vision_tower import EagleVisionTower

            vision_tower = EagleVisionTower(config.vision)
        llm.model.vision_tower = vision_tower
        llm.model.mm_projector = build_projector(config.mm_projector_type, config.mm_hidden_size,
                                                 config.llm.hidden_size)
        self.model = llm.model
        self.lm_head = llm.lm_head
        # Kept out of the module tree: its two children are registered above under the checkpoint names.
        self.__dict__["llm"] = llm

    @property
    def llm(self) -> LlamaForCausalLM:
        return self.__dict__["llm"]

    @property
    def vision_tower(self) -> nn.Module:
        return self.model.vision_tower

    @property
    def mm_projector(self) -> nn.Module:
        return self.model.mm_projector

    @property
    def embed_device(self) -> torch.device:
        return self.model.embed_tokens.weight.device

    def vision_dtype(self) -> torch.dtype:
        return next(self.mm_projector.parameters()).dtype

    @torch.no_grad()
    def encode_images(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[N, 3, S, S] normalised images → [N, tokens, hidden] embeddings for the LLM."""
        projector_weight = next(self.mm_projector.parameters())
        features = self.vision_tower(pixel_values)
        return self.mm_projector(features.to(projector_weight.device, projector_weight.dtype))

    @torch.no_grad()
    def build_inputs(self, rows: Sequence[Sequence[int]], image_embeds: torch.Tensor | None,
                     max_length: int | None = None) -> MultimodalInputs:
        """Splice image embeddings into each row at its IMAGE_TOKEN_INDEX slots, then left-pad the batch.

        `image_embeds` holds every image of the batch in row order ([N, tokens, hidden]); each slot takes
        the next one. Every row's text is embedded in one call. `max_length` keeps only each row's first
        positions after splicing, the authors' rule for `tokenizer_model_max_length`.
        """
        slots = sum(sum(1 for t in row if t == IMAGE_TOKEN_INDEX) for row in rows)
        available = 0 if image_embeds is None else image_embeds.shape[0]
        if slots != available:
            raise ValueError(f"the prompts hold {slots} image slot(s) but {available} image(s) were encoded")
        device = self.embed_device
        text_ids = torch.tensor([t for row in rows for t in row if t != IMAGE_TOKEN_INDEX], dtype=torch.long,
                                device=device)
        text_embeds = self.model.embed_tokens(text_ids)
        if image_embeds is not None:
            image_embeds = image_embeds.to(device, text_embeds.dtype)
        pieces_per_row: list[list[torch.Tensor]] = []
        text_at = 0
        image_at = 0
        for row in rows:
            pieces: list[torch.Tensor] = []
            run = 0
            for token in row:
                if token != IMAGE_TOKEN_INDEX:
                    run += 1
                    continue
                if run:
                    pieces.append(text_embeds[text_at:text_at + run])
                    text_at, run = text_at + run, 0
                assert image_embeds is not None  # there are as many images as slots (checked above)
                pieces.append(image_embeds[image_at])
                image_at += 1
            if run:
                pieces.append(text_embeds[text_at:text_at + run])
                text_at += run
            pieces_per_row.append(pieces)
        row_embeds = [torch.cat(pieces)[:max_length] for pieces in pieces_per_row]
        longest = max(e.shape[0] for e in row_embeds)
        batch, hidden = len(row_embeds), text_embeds.shape[-1]
        inputs_embeds = text_embeds.new_zeros(batch, longest, hidden)
        attention_mask = torch.zeros(batch, longest, dtype=torch.long, device=device)
        position_ids = torch.zeros(batch, longest, dtype=torch.long, device=device)
        for i, embeds in enumerate(row_embeds):
            n = embeds.shape[0]
            inputs_embeds[i, longest - n:] = embeds
            attention_mask[i, longest - n:] = 1
            position_ids[i, longest - n:] = torch.arange(n, device=device)
        return MultimodalInputs(inputs_embeds, attention_mask, position_ids)

    @torch.no_grad()
    def forward(self, rows: Sequence[Sequence[int]], pixel_values: torch.Tensor | None = None) -> torch.Tensor:
        """Logits [B, L, vocab] of a left-padded batch (for checks; generation lives in generation.py)."""
        image_embeds = None if pixel_values is None else self.encode_images(pixel_values)
        inputs = self.build_inputs(rows, image_embeds)
        out = self.llm(inputs_embeds=inputs.inputs_embeds, attention_mask=inputs.attention_mask,
                       position_ids=inputs.position_ids, use_cache=False)
        return out.logits
