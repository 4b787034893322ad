"""SAM ViT-L image encoder expert ("sam-1024").

transformers' `SamVisionEncoder` (windowed attention with window 14, global attention at blocks
5/11/17/23, decomposed relative-position bias, SDPA attention) with Eagle's short neck in place of
SAM's: a 1x1 conv 1024->256 without bias and a channels-first LayerNorm (eps 1e-6). The 64x64x256 map
is then `pixel_unshuffle(2)`-ed to 32x32x1024, output channel = c*4 + dy*2 + dx.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import SamVisionConfig
from transformers.models.sam.modeling_sam import SamVisionEncoder

from eagle_eval.model_adapters.eagle.vision_config import SamExpertConfig


class ChannelsFirstLayerNorm(nn.Module):
    """LayerNorm over the channel axis, normalising in fp32 then applying the affine in the input dtype,
    in that order, as the Eagle neck does."""

    def __init__(self, channels: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward_channels_last(self, x: torch.Tensor) -> torch.Tensor:
        """x: [..., C]; the same normalisation on a channels-last tensor (no permute needed)."""
        normed = F.layer_norm(x.float(), (x.shape[-1],), eps=self.eps).to(x.dtype)
        return normed * self.weight + self.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_channels_last(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ShortSamNeck(nn.Module):
    def __init__(self, hidden_size: int, output_channels: int, eps: float) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(hidden_size, output_channels, kernel_size=1, bias=False)
        self.layer_norm1 = ChannelsFirstLayerNorm(output_channels, eps)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """[B, H, W, hidden] -> [B, out, H, W]. The 1x1 conv is a matmul on the channels-last tokens."""
        weight = self.conv1.weight.flatten(1)
        projected = F.linear(hidden_states, weight)
        return self.layer_norm1.forward_channels_last(projected).permute(0, 3, 1, 2)


def unshuffle_features(features: torch.Tensor, factor: int) -> torch.Tensor:
    """[B, C, H, W] -> [B, C*f*f, H/f, W/f]; output channel c*f*f + dy*f + dx holds input (c, f*y+dy, f*x+dx)."""
    return F.pixel_unshuffle(features, factor)


def build_sam_vision_config(config: SamExpertConfig) -> SamVisionConfig:
    hf_config = SamVisionConfig(
        hidden_size=config.hidden_size,
        output_channels=config.output_channels,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        image_size=config.image_size,
        patch_size=config.patch_size,
        mlp_dim=config.mlp_dim,
        window_size=config.window_size,
        global_attn_indexes=list(config.global_attn_indexes),
        layer_norm_eps=config.layer_norm_eps,
        # transformers' default (1e-10) leaves a randomly initialised expert blind to its input; the
        # value only matters for the tiny test checkpoint (a real one overwrites every weight).
        initializer_range=0.02,
    )
    hf_config._attn_implementation = "sdpa"
    return hf_config


class SamExpert(nn.Module):
    def __init__(self, config: SamExpertConfig) -> None:
        super().__init__()
        self.config = config
        self.input_size = config.image_size
        self.out_channels = config.out_channels
        encoder = SamVisionEncoder(build_sam_vision_config(config))
        neck = ShortSamNeck(config.hidden_size, config.output_channels, eps=1e-6)
        encoder.neck = neck  # type: ignore[assignment]  # transformers types it as its longer SamVisionNeck
        self.vision_tower = encoder

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[B, 3, 1024, 1024] -> [B, 1024, 32, 32]."""
        encoder = self.vision_tower
        hidden = encoder.patch_embed(pixel_values.to(encoder.patch_embed.projection.weight.dtype))
        hidden = hidden + encoder.pos_embed
        for layer in encoder.layers:
            hidden = layer(hidden)
        return unshuffle_features(encoder.neck(hidden), self.config.unshuffle)
