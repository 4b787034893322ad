"""The Eagle 2.5 model: SigLIP tiles → layer -4 → pixel shuffle → mlp1 → spliced into a Qwen2 LLM.

Built from transformers' own parts: `SiglipVisionModel` (or `Siglip2VisionModel`) as `vision_model`,
`Qwen2ForCausalLM` as `language_model`, and the connector `mlp1` = LayerNorm → Linear → GELU → Linear
(an `nn.Sequential`, so its keys are `mlp1.0`, `mlp1.1`, `mlp1.3`), the module names of NVIDIA's
`Eagle2_5_VLForConditionalGeneration`. One difference from the released key names: transformers 5's
SigLIP vision models hold their modules directly, where 4.51's (the checkpoints') nest them under a second
`vision_model.`; checkpoint.py translates.

What no library provides is written here: the feature layer (`select_layer`, -4 in the releases: the
hidden state after all but the last three encoder layers, without the post-layernorm), the pixel shuffle
(`pixel_shuffle`), and the splice of each tile's tokens into the rows at the image-context token
(`build_inputs`), left-padded with explicit position ids so a row's numbers do not depend on its batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from eagle_eval.model_adapters.eagle.modeling import MultimodalInputs
from eagle_eval.model_adapters.eagle2.config import Eagle2Config

__all__ = ["Eagle2Model", "MultimodalInputs", "build_projector", "pixel_shuffle"]


def pixel_shuffle(features: torch.Tensor, scale: int = 2) -> torch.Tensor:
    """[N, G*G, C] patch features on a G×G grid → [N, (G/s)², C·s²].

    Output token (i, j) gathers the s×s block of patches at rows s·i+dy, columns s·j+dx; its channel
    `dy·s·C + dx·C + c` holds channel c of patch (s·i+dy, s·j+dx) — the order NVIDIA's reshape/permute
    sequence produces (tests/model_adapters/eagle2/test_eagle2_vision.py checks it on a hand-built tensor).
    """
    n, tokens, channels = features.shape
    grid = round(tokens ** 0.5)
    if grid * grid != tokens or grid % scale:
        raise ValueError(f"{tokens} patches are not a square grid divisible by {scale}")
    x = features.reshape(n, grid // scale, scale, grid // scale, scale, channels)
    x = x.permute(0, 1, 3, 2, 4, 5)  # n, i, j, dy, dx, c
    return x.reshape(n, (grid // scale) ** 2, scale * scale * channels)


def build_projector(input_size: int, hidden_size: int) -> nn.Sequential:
    return nn.Sequential(nn.LayerNorm(input_size), nn.Linear(input_size, hidden_size), nn.GELU(),
                         nn.Linear(hidden_size, hidden_size))


def build_vision_model(config: Eagle2Config) -> nn.Module:
    from transformers import Siglip2VisionModel, SiglipVisionModel

    if config.vision_type == "siglip_vision_model":
        return SiglipVisionModel(config.vision)
    return Siglip2VisionModel(config.vision)


def siglip2_inputs(pixel_values: torch.Tensor, patch_size: int) -> dict[str, torch.Tensor]:
    """Siglip2 (NaFlex) takes flattened patches (row by row; each patch's values in y, x, channel order),
    a mask and each image's patch grid; a square tile fills its whole grid."""
    n, channels, height, width = pixel_values.shape
    rows, columns = height // patch_size, width // patch_size
    patches = pixel_values.reshape(n, channels, rows, patch_size, columns, patch_size)
    patches = patches.permute(0, 2, 4, 3, 5, 1).reshape(n, rows * columns, patch_size * patch_size * channels)
    mask = torch.ones(n, rows * columns, dtype=torch.long, device=pixel_values.device)
    shapes = torch.tensor([[rows, columns]] * n, dtype=torch.long, device=pixel_values.device)
    return {"pixel_values": patches, "pixel_attention_mask": mask, "spatial_shapes": shapes}


class Eagle2Model(nn.Module):
    def __init__(self, config: Eagle2Config) -> None:
        super().__init__()
        from transformers import Qwen2ForCausalLM

        self.config = config
        config.vision._attn_implementation = "sdpa"
        config.text._attn_implementation = "sdpa"
        self.vision_model = build_vision_model(config)
        self.language_model = Qwen2ForCausalLM(config.text)
        self.mlp1 = build_projector(config.projector_input_size, int(config.text.hidden_size))

    @property
    def llm(self) -> nn.Module:
        """The LLM the shared greedy loop drives (eagle_eval.model_adapters.eagle.generation)."""
        return self.language_model

    @property
    def embed_device(self) -> torch.device:
        return self.language_model.model.embed_tokens.weight.device

    def vision_dtype(self) -> torch.dtype:
        return next(self.mlp1.parameters()).dtype

    def tie_weights(self) -> None:
        if self.config.tie_word_embeddings:
            self.language_model.lm_head.weight = self.language_model.model.embed_tokens.weight

    @torch.no_grad()
    def vision_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[T, 3, S, S] normalised tiles → [T, G², C]: the encoder's hidden state at `select_layer`.

        For SigLIP only the layers up to that state run (hidden state k is the output of layer k, 0 the
        embeddings): at -4 the last three layers, whose output nothing reads, are skipped (about a ninth of
        the vision compute of a 27-layer encoder). The result is what `output_hidden_states` returns."""
        if self.config.vision_type == "siglip2_vision_model":
            out = self.vision_model(**siglip2_inputs(pixel_values, self.config.patch_size), output_hidden_states=True)
            return out.hidden_states[self.config.select_layer]
        siglip: Any = self.vision_model  # transformers' SiglipVisionModel: embeddings, encoder.layers
        layers = siglip.encoder.layers
        hidden = siglip.embeddings(pixel_values)
        for layer in layers[:self.config.select_layer % (len(layers) + 1)]:
            hidden = layer(hidden, None)
        return hidden

    @torch.no_grad()
    def project(self, features: torch.Tensor) -> torch.Tensor:
        """[T, G², C] → [T, tokens_per_tile, hidden]: pixel shuffle, then mlp1."""
        weight = next(self.mlp1.parameters())
        shuffled = pixel_shuffle(features, self.config.scale)
        return self.mlp1(shuffled.to(weight.device, weight.dtype))

    @torch.no_grad()
    def encode_tiles(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.project(self.vision_features(pixel_values))

    @torch.no_grad()
    def build_inputs(self, rows: Sequence[Sequence[int]], image_embeds: torch.Tensor | None) -> MultimodalInputs:
        """Embed each row, put the image tokens ([N, hidden], every tile's tokens of the batch in row order)
        at the positions holding `image_token_index`, and left-pad the batch (zero vectors, mask 0, and
        position ids counting from each row's first real token)."""
        device = self.embed_device
        index = self.config.image_token_index
        slots = sum(sum(1 for t in row if t == index) for row in rows)
        available = 0 if image_embeds is None else image_embeds.shape[0]
        if slots != available:
            raise ValueError(f"the prompts hold {slots} image-context token(s) but {available} image token(s) "
                             "were encoded")
        longest = max(len(row) for row in rows)
        ids = torch.zeros(len(rows), longest, dtype=torch.long, device=device)
        attention_mask = torch.zeros(len(rows), longest, dtype=torch.long, device=device)
        position_ids = torch.zeros(len(rows), longest, dtype=torch.long, device=device)
        for i, row in enumerate(rows):
            n = len(row)
            ids[i, longest - n:] = torch.tensor(list(row), dtype=torch.long)
            attention_mask[i, longest - n:] = 1
            position_ids[i, longest - n:] = torch.arange(n, device=device)
        embeds = self.language_model.model.embed_tokens(ids)
        if image_embeds is not None and slots:
            selected = (ids == index) & (attention_mask == 1)
            embeds[selected] = image_embeds.to(device, embeds.dtype)
        embeds = embeds * attention_mask[..., None].to(embeds.dtype)
        return MultimodalInputs(embeds, attention_mask, position_ids)

    @torch.no_grad()
    def forward(self, rows: Sequence[Sequence[int]], pixel_values: torch.Tensor | None = None) -> torch.Tensor:
        """Logits [B, L, vocab] of a left-padded batch (for checks; generation lives in the shared loop)."""
        image_embeds = None
        if pixel_values is not None:
            image_embeds = self.encode_tiles(pixel_values).reshape(-1, self.config.text.hidden_size)
        inputs = self.build_inputs(rows, image_embeds)
        out = self.language_model(inputs_embeds=inputs.inputs_embeds, attention_mask=inputs.attention_mask,
                                  position_ids=inputs.position_ids, use_cache=False)
        return out.logits
