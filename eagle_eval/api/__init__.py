"""The contracts a plugin implements and the registry that finds them; the public surface.

`Task` (api/task.py) and `ModelAdapter` (api/adapter.py) are what tasks/ and model_adapters/ implement;
`api/registry.py` finds them through the `eagle_eval.tasks` and `eagle_eval.models` entry points and
never imports a task or a model module itself. May import core, data, provenance, stats and metrics.
Third parties import the names below from `eagle_eval.api` only (docs/adding-a-task.md,
docs/adding-an-adapter.md); they stay stable when the inside moves. Read first: task.py.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each public name and the module that defines it. Loaded on first use (PEP 562), so importing one
# contract module (eagle_eval.api.adapter, say) never pulls in the others and their dependencies.
_HOMES = {
    "Task": "eagle_eval.api.task",
    "Source": "eagle_eval.data.loading",
    "ModelAdapter": "eagle_eval.api.adapter",
    "AdapterError": "eagle_eval.api.adapter",
    "CallStats": "eagle_eval.api.adapter",
    "ModelArg": "eagle_eval.api.registry",
    "ModelCapabilities": "eagle_eval.api.registry",
    "ModelEntry": "eagle_eval.api.registry",
    "ModelOptions": "eagle_eval.api.registry",
    "register_task": "eagle_eval.api.registry",
    "register_model": "eagle_eval.api.registry",
    "register_model_scheme": "eagle_eval.api.registry",
    "get_task": "eagle_eval.api.registry",
    "get_model_entry": "eagle_eval.api.registry",
    "task_names": "eagle_eval.api.registry",
    "Doc": "eagle_eval.core.records",
    "ScoredDoc": "eagle_eval.core.records",
    "SampleScore": "eagle_eval.core.records",
    "Request": "eagle_eval.core.records",
    "ModelInfo": "eagle_eval.core.records",
    "GenerationSettings": "eagle_eval.core.records",
}

__all__ = [
    "AdapterError",
    "CallStats",
    "Doc",
    "GenerationSettings",
    "ModelAdapter",
    "ModelArg",
    "ModelCapabilities",
    "ModelEntry",
    "ModelInfo",
    "ModelOptions",
    "Request",
    "SampleScore",
    "ScoredDoc",
    "Source",
    "Task",
    "get_model_entry",
    "get_task",
    "register_model",
    "register_model_scheme",
    "register_task",
    "task_names",
]

if TYPE_CHECKING:
    from eagle_eval.api.adapter import AdapterError, CallStats, ModelAdapter
    from eagle_eval.api.registry import (
        ModelArg,
        ModelCapabilities,
        ModelEntry,
        ModelOptions,
        get_model_entry,
        get_task,
        register_model,
        register_model_scheme,
        register_task,
        task_names,
    )
    from eagle_eval.api.task import Task
    from eagle_eval.core.records import Doc, GenerationSettings, ModelInfo, Request, SampleScore, ScoredDoc
    from eagle_eval.data.loading import Source


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'eagle_eval.api' has no attribute '{name}'")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
