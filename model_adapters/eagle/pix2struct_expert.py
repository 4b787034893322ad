"""Pix2Struct-large vision encoder expert ("pix2struct-1024"), transformers' Pix2StructVisionModel.

Input is the shared CLIP-normalised tensor; `preprocessing.pix2struct_patches` turns it into the
processor's flattened patches on the same device. Eagle keeps the first rows*cols (45x45 = 2025)
tokens, i.e. exactly the real patches; the processor's padding slots are masked out of attention and
then discarded, so running only the real patches with no mask gives the same features and lets SDPA
use its fused kernels.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import Pix2StructVisionConfig, Pix2StructVisionModel

from eagle_eval.model_adapters.eagle.preprocessing import pix2struct_grid, pix2struct_patches
from eagle_eval.model_adapters.eagle.vision_config import Pix2StructExpertConfig


def build_pix2struct_vision_config(config: Pix2StructExpertConfig) -> Pix2StructVisionConfig:
    hf_config = Pix2StructVisionConfig(
        hidden_size=config.hidden_size,
        patch_embed_hidden_size=config.patch_size * config.patch_size * 3,
        d_ff=config.d_ff,
        d_kv=config.head_dim,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        dense_act_fn=config.dense_act_fn,
        layer_norm_eps=config.layer_norm_eps,
        seq_len=config.seq_len,
        # transformers' default (1e-10) leaves a randomly initialised expert blind to its input; the
        # value only matters for the tiny test checkpoint (a real one overwrites every weight).
        initializer_range=0.02,
    )
    hf_config._attn_implementation = "sdpa"
    return hf_config


class Pix2StructExpert(nn.Module):
    def __init__(self, config: Pix2StructExpertConfig) -> None:
        super().__init__()
        self.config = config
        self.input_size: int | None = None  # takes the tower's tensor and makes its own patches
        self.out_channels = config.out_channels
        self.vision_tower = Pix2StructVisionModel(build_pix2struct_vision_config(config))

    def encode_patches(self, flattened_patches: torch.Tensor,
                       attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """[B, N, 2 + 768] -> [B, N, C] (final layernorm applied)."""
        model = self.vision_tower
        hidden = model.embeddings(flattened_patches.to(model.embeddings.patch_projection.weight.dtype))
        if attention_mask is not None:
            # Additive key mask, broadcast over heads and queries.
            blocked = torch.finfo(hidden.dtype).min
            attention_mask = ((1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * blocked)
        hidden = model.encoder(hidden, attention_mask=attention_mask).last_hidden_state
        return model.layernorm(hidden)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[B, 3, S, S] CLIP-normalised -> [B, C, rows, cols] (45x45 at 1024 px)."""
        rows, cols = pix2struct_grid(pixel_values.shape[-2], pixel_values.shape[-1],
                                     self.config.patch_size, self.config.max_patches)
        patches = pix2struct_patches(pixel_values, self.config.patch_size, self.config.max_patches)
        hidden = self.encode_patches(patches)
        batch, _, channels = hidden.shape
        return hidden.transpose(1, 2).reshape(batch, channels, rows, cols)
