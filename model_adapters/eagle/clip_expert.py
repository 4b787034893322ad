"""CLIP ViT-L/14-336 expert ("clip-448").

Eagle feeds it the shared 1024 px tensor resized (by the tower) to 336 px, drops the CLS token right
after the embeddings, *before* `pre_layrnorm`, and takes the output of the last encoder layer with no
`post_layernorm`. The 24x24 patch map is upsampled to the tower grid by the tower.

transformers 5 flattened `CLIPVisionModel` (no `vision_model` child any more); the checkpoint still
spells `vision_model.…`, so the model sits under a `vision_model` attribute of a plain container.
`post_layernorm` stays a parameter so that loading is strict, but it is never used.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import CLIPVisionConfig, CLIPVisionModel

from eagle_eval.model_adapters.eagle.vision_config import ClipExpertConfig


def build_clip_vision_config(config: ClipExpertConfig) -> CLIPVisionConfig:
    hf_config = CLIPVisionConfig(
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        projection_dim=config.projection_dim,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        image_size=config.image_size,
        patch_size=config.patch_size,
        hidden_act=config.hidden_act,
        layer_norm_eps=config.layer_norm_eps,
    )
    hf_config._attn_implementation = "sdpa"
    return hf_config


class ClipVisionContainer(nn.Module):
    """Holds the HF model under the attribute name the checkpoint uses."""

    def __init__(self, config: ClipExpertConfig) -> None:
        super().__init__()
        self.vision_model = CLIPVisionModel(build_clip_vision_config(config))


class ClipExpert(nn.Module):
    def __init__(self, config: ClipExpertConfig) -> None:
        super().__init__()
        self.config = config
        self.input_size = config.image_size
        self.out_channels = config.out_channels
        self.vision_tower = ClipVisionContainer(config)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[B, 3, 336, 336] normalised pixels -> [B, C, 24, 24] patch features."""
        model = self.vision_tower.vision_model
        tokens = model.embeddings(pixel_values)[:, 1:]
        hidden = model.pre_layrnorm(tokens)
        hidden = model.encoder(inputs_embeds=hidden).last_hidden_state
        batch, _, channels = hidden.shape
        grid = self.config.grid
        return hidden.transpose(1, 2).reshape(batch, channels, grid, grid)

    def recompute_buffers(self, device: torch.device) -> None:
        """Rebuild the non-checkpoint `position_ids` buffer (needed after building on the meta device)."""
        embeddings = self.vision_tower.vision_model.embeddings
        position_ids = torch.arange(embeddings.num_positions, device=device).unsqueeze(0)
        embeddings.register_buffer("position_ids", position_ids, persistent=False)
