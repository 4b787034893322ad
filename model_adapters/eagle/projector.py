"""The projector from concatenated expert features to the LLM's embedding width."""

from __future__ import annotations

import re

from torch import nn


def build_projector(projector_type: str, in_features: int, hidden_size: int) -> nn.Module:
    """`mlp{N}x_gelu`: Linear, then (GELU, Linear) N-1 times; `linear`: one Linear.

    An `nn.Sequential` so the checkpoint keys are `mm_projector.0.*`, `mm_projector.2.*`, as released.
    """
    if projector_type == "linear":
        return nn.Linear(in_features, hidden_size)
    match = re.fullmatch(r"mlp(\d+)x_gelu", projector_type)
    if not match:
        raise ValueError(
            f"mm_projector_type '{projector_type}' is not supported; Eagle v1 uses 'mlp2x_gelu' (or 'linear')"
        )
    layers: list[nn.Module] = [nn.Linear(in_features, hidden_size)]
    for _ in range(int(match.group(1)) - 1):
        layers += [nn.GELU(), nn.Linear(hidden_size, hidden_size)]
    return nn.Sequential(*layers)
