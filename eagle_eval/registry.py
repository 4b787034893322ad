"""One registry for tasks and model adapters, extended by Python entry points.

Third-party packages add tasks or adapters by declaring an entry point in the groups
`eagle_eval.tasks` / `eagle_eval.models` whose target is a callable taking no arguments that calls
`register_task` / `register_model`. Heavy modules (torch, transformers) are imported only when a
model is built, never when listing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eagle_eval.adapter import ModelAdapter
    from eagle_eval.task import Task


class UnknownNameError(LookupError):
    """An unknown task or model name; the message carries a "did you mean" hint."""


class ModelArgError(UnknownNameError):
    """A `--model-arg` the model's adapter does not take, or a malformed value; says which keys are valid."""


def reject_model_args(adapter: str, extra: dict[str, Any]) -> None:
    """For adapters that take no `--model-arg`: any key given is an error, never silently ignored."""
    if extra:
        raise ModelArgError(f"--model-arg {', '.join(sorted(extra))}: the {adapter} adapter takes no --model-arg")


@dataclass
class ModelOptions:
    """Settings the CLI passes to every adapter factory."""

    device: str | None = None
    dtype: str | None = None
    batch_size: int | None = None
    seed: int = 1234
    model_path: str | None = None
    revision: str | None = None
    predictions: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # --model-arg KEY=VALUE strings, for the adapter to check


@dataclass(frozen=True)
class ModelEntry:
    name: str
    factory: Callable[[ModelOptions], ModelAdapter]
    description: str = ""
    hub_id: str | None = None
    aliases: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


_TASKS: dict[str, type[Task]] = {}
_MODELS: dict[str, ModelEntry] = {}
_ALIASES: dict[str, str] = {}
_SCHEMES: dict[str, Callable[[str], ModelEntry]] = {}
_loaded = False


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: make a Task subclass available under its `name`."""
    _TASKS[cls.name] = cls
    return cls


def register_model(entry: ModelEntry) -> ModelEntry:
    _MODELS[entry.name] = entry
    for alias in entry.aliases:
        _ALIASES[alias] = entry.name
    return entry


def register_model_scheme(prefix: str, make_entry: Callable[[str], ModelEntry]) -> None:
    """Make `prefix:<target>` a model name: `make_entry(target)` builds its entry (`hf:<hub id or folder>`)."""
    _SCHEMES[prefix] = make_entry


def _scheme_of(name: str) -> tuple[str, str] | None:
    prefix, colon, target = name.partition(":")
    if not colon or prefix not in _SCHEMES:
        return None
    if not target.strip():
        raise UnknownNameError(f"model '{name}' names no target; write {prefix}:<hub id or local folder>")
    return prefix, target


def _load_plugins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from eagle_eval.model_adapters import register_builtin_models
    from eagle_eval.tasks import register_builtin_tasks

    register_builtin_tasks()
    register_builtin_models()
    for group in ("eagle_eval.tasks", "eagle_eval.models"):
        for ep in entry_points(group=group):
            if ep.name == "builtin":
                continue
            ep.load()()


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    return f" Did you mean {', '.join(close)}?" if close else ""


def task_names() -> list[str]:
    _load_plugins()
    return sorted(_TASKS)


def get_task(name: str) -> Task:
    _load_plugins()
    if name not in _TASKS:
        raise UnknownNameError(
            f"unknown task '{name}'.{_suggest(name, list(_TASKS))} (list them with: eagle-eval tasks)"
        )
    return _TASKS[name]()


def model_entries() -> list[ModelEntry]:
    _load_plugins()
    return [_MODELS[n] for n in sorted(_MODELS)]


def resolve_model_name(name: str) -> str:
    _load_plugins()
    if name in _MODELS or _scheme_of(name):
        return name
    if name in _ALIASES:
        return _ALIASES[name]
    raise UnknownNameError(
        f"unknown model '{name}'.{_suggest(name, list(_MODELS) + list(_ALIASES))}"
        f" (list them with: eagle-eval models{_scheme_hint()})"
    )


def _scheme_hint() -> str:
    return "; or " + ", ".join(f"{prefix}:<target>" for prefix in sorted(_SCHEMES)) if _SCHEMES else ""


def get_model_entry(name: str) -> ModelEntry:
    resolved = resolve_model_name(name)
    scheme = _scheme_of(resolved)
    if scheme and resolved not in _MODELS:
        return _SCHEMES[scheme[0]](scheme[1])
    return _MODELS[resolved]


def model_schemes() -> list[str]:
    """The registered `prefix:` schemes (for listings and error hints)."""
    _load_plugins()
    return sorted(_SCHEMES)
