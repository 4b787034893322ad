"""A task's scorer version: a hash of the code that turns its predictions into scores.

Tasks carry no hand-kept scorer version, so one is derived: the SHA-256 of the source of the
task class's `score` and `aggregate` methods (as the class resolves them, wherever in its bases they
are defined), followed by the source of every function from `eagle_eval.metrics` those methods name.
Only code enters the hash (no line numbers, file paths or addresses), so it is the same in every
process and on every machine, and it changes when a scoring rule does: results.json records it per
task (`scorer`), and `eagle-eval sweep plan` reports a task whose predictions still hold but whose
scorer changed as `rescore`. A method whose source cannot be read (a class made at run time) enters
by its qualified name instead.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import types
from typing import Any

_METHODS = ("score", "aggregate")
_METRICS_PACKAGE = "eagle_eval.metrics"


def scorer_version(task: Any) -> str:
    """`sha256:<12 hex>` of the task's scoring code (see the module docstring); computed once per class."""
    return _class_version(task if isinstance(task, type) else type(task))


@functools.cache
def _class_version(cls: type) -> str:
    digest = hashlib.sha256()
    seen: set[str] = set()
    for name in _METHODS:
        method = getattr(cls, name, None)
        function = getattr(method, "__func__", method)
        if not isinstance(function, types.FunctionType):
            continue
        digest.update(_source(function).encode())
        for metric in _named_metrics(function):
            key = f"{metric.__module__}.{metric.__qualname__}"
            if key not in seen:
                seen.add(key)
                digest.update(_source(metric).encode())
    return "sha256:" + digest.hexdigest()[:12]


def _named_metrics(function: types.FunctionType) -> list[types.FunctionType]:
    """Functions of eagle_eval.metrics that `function` names, directly or as `module.name`."""
    found: list[types.FunctionType] = []
    for name in function.__code__.co_names:
        value = function.__globals__.get(name)
        if isinstance(value, types.ModuleType) and value.__name__.startswith(_METRICS_PACKAGE):
            found.extend(v for n in function.__code__.co_names if isinstance(v := getattr(value, n, None),
                                                                             types.FunctionType))
        elif isinstance(value, types.FunctionType) and value.__module__.startswith(_METRICS_PACKAGE):
            found.append(value)
    return sorted(found, key=lambda f: (f.__module__, f.__qualname__))


def _source(function: types.FunctionType) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return f"{function.__module__}.{function.__qualname__}"
