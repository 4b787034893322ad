"""The tensors a released checkpoint holds, listed from the architecture alone (meta device, no download)."""

from __future__ import annotations

import torch
from torch import nn

from eagle_eval.model_adapters.eagle.presets import get_preset
from eagle_eval.model_adapters.eagle.projector import build_projector
from eagle_eval.model_adapters.eagle.vision_tower import expected_vision_tensors


def expected_checkpoint_tensors(preset_name: str) -> list[tuple[str, tuple[int, ...]]]:
    """(checkpoint key, shape) for every stored tensor of `preset_name`, in module order: the Llama keys,
    then the vision tower's (stored-but-unused ones and RoPE tables included), then the projector's."""
    from transformers import LlamaForCausalLM

    config = get_preset(preset_name).eagle_config()
    with torch.device("meta"):
        llm = LlamaForCausalLM(config.llm)
        projector = build_projector(config.mm_projector_type, config.mm_hidden_size, config.llm.hidden_size)
    llm_keys = [(k, tuple(v.shape)) for k, v in llm.state_dict().items()]
    head = [item for item in llm_keys if item[0].startswith("lm_head.")]
    body = [item for item in llm_keys if not item[0].startswith("lm_head.")]
    tower = [(f"model.vision_tower.{k}", shape) for k, shape in expected_vision_tensors(config.vision)]
    return body + tower + _prefixed(projector, "model.mm_projector.") + head


def _prefixed(module: nn.Module, prefix: str) -> list[tuple[str, tuple[int, ...]]]:
    return [(prefix + k, tuple(v.shape)) for k, v in module.state_dict().items()]
