"""A strict checkpoint load's shared steps for every Eagle loader (Eagle-X and Eagle 2): placing a tensor,
finding what is left unset, and saying what was wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from accelerate.utils import set_module_tensor_to_device


def format_keys(keys: list[str], limit: int = 12) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" … and {len(keys) - limit} more" if len(keys) > limit else "")


def key_problems(unexpected: list[str], missing: list[str], mismatched: list[str]) -> list[str]:
    """What a strict load found wrong, one phrase per kind (shared by the Eagle family's loaders)."""
    problems = []
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected key(s) (in the checkpoint, not in the model): "
                        f"{format_keys(sorted(unexpected))}")
    if missing:
        problems.append(f"{len(missing)} missing key(s) (in the model, not in the checkpoint): "
                        f"{format_keys(sorted(missing))}")
    if mismatched:
        problems.append(f"{len(mismatched)} shape mismatch(es): {format_keys(mismatched)}")
    return problems


def place_tensor(model: torch.nn.Module, name: str, target: torch.Tensor, tensor: torch.Tensor,
                 dtype: torch.dtype, device_for: Callable[[str], Any] | None) -> str | None:
    """Put `tensor` into `model` as `name` (whose current tensor is `target`); the shape mismatch, if any.

    Parameters take the run dtype; buffers (RoPE tables, ids) keep the precision they were built in."""
    if tuple(target.shape) != tuple(tensor.shape):
        return f"checkpoint {list(tensor.shape)} vs model {list(target.shape)}"
    is_param = isinstance(target, torch.nn.Parameter)
    value = tensor.to(dtype) if is_param and tensor.is_floating_point() else tensor.to(target.dtype)
    set_module_tensor_to_device(model, name, device_for(name) if device_for else "cpu", value=value, dtype=value.dtype)
    return None


def unset_tensors(model: torch.nn.Module) -> list[str]:
    """Tensors still on the meta device after a load: nothing filled them."""
    return [k for k, v in model.state_dict().items() if v.is_meta]
