"""One registry for tasks and model adapters, extended by Python entry points.

Third-party packages add tasks or adapters by declaring an entry point in the groups
`eagle_eval.tasks` / `eagle_eval.models` whose target is a callable taking no arguments that calls
`register_task` / `register_model`. Heavy modules (torch, transformers) are imported only when a
model is built, never when listing.

A model's entry is typed: what it is (`family`, `preset`, `llm`, `vision`, `template`, ...), the
`--model-arg` keys its adapter takes (`ModelArg`, checked here before anything loads), and what
model-specific commands it offers (`ModelCapabilities`: checkpoint tensor listing, FLOP count,
speed benchmark), so the command line reaches any model family the same way.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eagle_eval.api.adapter import AdapterError

if TYPE_CHECKING:
    from eagle_eval.api.adapter import ModelAdapter
    from eagle_eval.api.task import Task


class UnknownNameError(LookupError):
    """An unknown task or model name; the message carries a "did you mean" hint."""


class ModelArgError(AdapterError, UnknownNameError):
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
class ModelArg:
    """One `--model-arg KEY=VALUE` an adapter takes. `check` raises ValueError for a bad value (its
    message is shown); the adapter still receives the text as given, in `ModelOptions.extra`."""

    name: str
    help: str
    check: Callable[[str], object] | None = None


@dataclass(frozen=True)
class SampleFlops:
    """FLOPs of one sample by part (multiply-add = 2), as `models show --flops` prints them."""

    description: str  # what the sample is: "one image (576 tokens), 70 text tokens, 16 new tokens"
    parts: dict[str, float]
    total: float


@dataclass(frozen=True)
class ModelCapabilities:
    """Model-specific commands an entry offers; None where its family has no such thing.

    `checkpoint_tensors()`: every tensor the checkpoint must hold, `(key, shape)` in order
    (`models show --state-dict`). `sample_flops(text_tokens, new_tokens)`: `models show --flops`.
    `bench(argv)`: the family's speed benchmark for this model, parsing its own flags; returns the
    exit code (`eagle-eval bench --model NAME ...`). `bench_default`: the model `bench` runs when none
    is named.
    """

    checkpoint_tensors: Callable[[], list[tuple[str, tuple[int, ...]]]] | None = None
    sample_flops: Callable[[int, int], SampleFlops] | None = None
    bench: Callable[[Sequence[str]], int] | None = None
    bench_default: bool = False

    def offered(self) -> list[str]:
        names = {"checkpoint_tensors": "state-dict", "sample_flops": "flops", "bench": "bench"}
        return [label for attr, label in names.items() if getattr(self, attr) is not None]


@dataclass(frozen=True)
class ModelEntry:
    name: str
    factory: Callable[[ModelOptions], ModelAdapter]
    description: str = ""
    hub_id: str | None = None
    aliases: tuple[str, ...] = ()
    family: str = ""  # the adapter package: "eagle", "hf", "replay", ...
    preset: str | None = None  # the named configuration this entry builds, when it is one
    revision: str | None = None  # the pinned checkpoint commit, when there is one
    llm: str | None = None
    vision: tuple[str, ...] = ()  # vision encoders, in the model's order
    template: str | None = None  # conversation template
    reference: str | None = None  # the published row (reference CSV) this model is compared with
    needs_torch: bool = True  # False for adapters that run no model (replay)
    loads_weights: bool = True
    notes: tuple[str, ...] = ()  # one-line facts a user should know (aliases, pinning)
    model_args: tuple[ModelArg, ...] = ()
    capabilities: ModelCapabilities = field(default_factory=ModelCapabilities)

    def describe(self) -> dict[str, Any]:
        """The typed fields as JSON (`models show`)."""
        return {
            "family": self.family,
            "preset": self.preset,
            "revision": self.revision,
            "llm": self.llm,
            "vision": list(self.vision),
            "template": self.template,
            "reference": self.reference,
            "needs_torch": self.needs_torch,
            "loads_weights": self.loads_weights,
            "notes": list(self.notes),
            "model_args": {arg.name: arg.help for arg in self.model_args},
            "capabilities": self.capabilities.offered(),
        }

    def check_model_args(self, given: dict[str, str]) -> None:
        """Raise ModelArgError naming the valid keys for any key this adapter does not take or value
        it rejects; nothing is ignored silently."""
        valid = {arg.name: arg for arg in self.model_args}
        listing = ", ".join(sorted(valid)) if valid else "none (it takes no --model-arg)"
        unknown = sorted(set(given) - set(valid))
        if unknown:
            raise ModelArgError(
                f"--model-arg {', '.join(unknown)}: model {self.name} does not take "
                f"{'it' if len(unknown) == 1 else 'them'}; valid keys: {listing}"
            )
        for key, value in given.items():
            check = valid[key].check
            if check is None:
                continue
            try:
                check(value)
            except ValueError as err:
                raise ModelArgError(f"--model-arg {key}={value}: {err} (model {self.name}; valid keys: {listing})") from err


_TASKS: dict[str, type[Task]] = {}
_MODELS: dict[str, ModelEntry] = {}
_ALIASES: dict[str, str] = {}
_SCHEMES: dict[str, Callable[[str], ModelEntry]] = {}
_SCHEME_TARGETS: dict[str, str] = {}  # what follows the prefix, for help and errors: "hub id or local folder"
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


def register_model_scheme(prefix: str, make_entry: Callable[[str], ModelEntry], target: str = "target") -> None:
    """Make `prefix:<target>` a model name: `make_entry(target)` builds its entry (`hf:<hub id or folder>`).
    `target` says what follows the prefix, for listings and errors."""
    _SCHEMES[prefix] = make_entry
    _SCHEME_TARGETS[prefix] = target


def _scheme_of(name: str) -> tuple[str, str] | None:
    prefix, colon, target = name.partition(":")
    if not colon or prefix not in _SCHEMES:
        return None
    if not target.strip():
        raise UnknownNameError(f"model '{name}' names no target; write {prefix}:<{_SCHEME_TARGETS[prefix]}>")
    return prefix, target


# The built-in tasks and adapters by name, as pyproject's "builtin" entry points name them: the harness
# imports no task and no model module (the import contracts in pyproject), it only calls these.
_BUILTINS = ("eagle_eval.tasks:register_builtin_tasks", "eagle_eval.model_adapters:register_builtin_models")


def _load_plugins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for target in _BUILTINS:  # first, so that a plugin cannot take a built-in name
        module, _, function = target.partition(":")
        getattr(importlib.import_module(module), function)()
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


def _folded(name: str) -> str:
    return name.strip().casefold().replace("-", "_")


def task_name(name: str) -> str:
    """The registered name a user's spelling means: exact, else the one name equal to it without regard to
    case or `-`/`_` (`TextVQA`, the table's column header, is `textvqa`). A miss names the closest."""
    _load_plugins()
    if name in _TASKS:
        return name
    matches = [known for known in _TASKS if _folded(known) == _folded(name)]
    if len(matches) == 1:
        return matches[0]
    folded = {_folded(known): known for known in _TASKS}
    close = [folded[f] for f in difflib.get_close_matches(_folded(name), list(folded), n=3, cutoff=0.5)]
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownNameError(f"unknown task '{name}'.{hint} (list them with: eagle-eval tasks)")


def get_task(name: str) -> Task:
    return _TASKS[task_name(name)]()


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
    return "; or " + ", ".join(f"{p}:<{_SCHEME_TARGETS[p]}>" for p in sorted(_SCHEMES)) if _SCHEMES else ""


def get_model_entry(name: str) -> ModelEntry:
    resolved = resolve_model_name(name)
    scheme = _scheme_of(resolved)
    if scheme and resolved not in _MODELS:
        return _SCHEMES[scheme[0]](scheme[1])
    return _MODELS[resolved]


def model_schemes() -> dict[str, str]:
    """The registered `prefix:` schemes, each with what follows its prefix (for listings and hints)."""
    _load_plugins()
    return {prefix: _SCHEME_TARGETS[prefix] for prefix in sorted(_SCHEMES)}
