"""The sweep file: models, tasks, the run settings they share, an output root and an executor.

    output_root: sweeps/main
    models:
      - name: eagle-x5-7b
      - name: hf:NVEagle/Eagle-X5-13B
        revision: main
        label: X5-13B main
      - name: eagle-x5-7b
        model_path: /ckpt/step-2000
        model_args: {truncate_inputs: false}
    tasks: paper                  # paper, all, a list, or "textvqa,pope"
    settings: {data_root: data/hub, lock: eagle.lock, batch_size: 8, limit: 0.1, seed: 1234,
               gen_kwargs: {max_new_tokens: 64}}
    executor: {kind: slurm, gpus_per_job: 8, processes_per_job: 8, partition: a100, account: vision,
               qos: normal, time_limit: "04:00:00", memory: 200G, extra_flags: ["--exclusive"]}

Every problem raises `SweepFileError` with one line naming the key and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eagle_eval.api.registry import UnknownNameError, resolve_model_name
from eagle_eval.core.text_input import YamlReadError, read_yaml
from eagle_eval.generation.gen_kwargs import GenKwargs, GenKwargsError, check_gen_kwargs, parse_gen_kwargs

EXECUTOR_KINDS = ("local", "slurm")
_TOP = ("output_root", "models", "tasks", "settings", "executor")
_MODEL = ("name", "model_path", "model_args", "revision", "label", "predictions")
_SETTINGS = ("data_root", "lock", "batch_size", "limit", "seed", "gen_kwargs")
_EXECUTOR = ("kind", "gpus_per_job", "processes_per_job", "partition", "account", "qos", "time_limit",
             "memory", "extra_flags", "gpus", "max_jobs", "seconds_per_sample", "load_seconds")
_TIME = re.compile(r"^(\d+-)?\d{1,3}(:\d{2}){0,2}$")  # Slurm: MM, MM:SS, HH:MM:SS, D-HH[:MM[:SS]]
_MEMORY = re.compile(r"^\d+[KMGT]?$")
# Estimates for a model no run has timed yet: an Eagle-X5-7B sample batched on one H100, and its load.
DEFAULT_SECONDS_PER_SAMPLE = 0.5
DEFAULT_LOAD_SECONDS = 300.0


class SweepFileError(ValueError):
    """A sweep file that cannot be used; the message is one line naming the file, the key and the fix."""


class ExecutorError(ValueError):
    """An executor that cannot run the jobs here (too few GPUs, no scheduler, a refused submission);
    one line with the fix."""


@dataclass(frozen=True)
class SweepModel:
    name: str
    model_path: str | None = None
    model_args: dict[str, str] = field(default_factory=dict)
    revision: str | None = None
    label: str | None = None
    predictions: Path | None = None  # the replay model's predictions file

    @property
    def display(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class SweepSettings:
    data_root: Path | None = None
    lock: Path | None = None
    batch_size: int | str = "auto"
    limit: int | float | None = None
    seed: int = 1234
    gen_kwargs: GenKwargs | None = None


@dataclass(frozen=True)
class Executor:
    kind: str = "local"
    gpus_per_job: int = 1
    processes_per_job: int = 1
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    time_limit: str | None = None
    memory: str | None = None
    extra_flags: tuple[str, ...] = ()
    gpus: tuple[str, ...] | None = None  # local: the GPU ids to hand out (default: CUDA_VISIBLE_DEVICES, or none)
    max_jobs: int = 1  # local without GPUs: jobs at once
    seconds_per_sample: float = DEFAULT_SECONDS_PER_SAMPLE  # until a run of the model has measured its own
    load_seconds: float = DEFAULT_LOAD_SECONDS

    @property
    def time_limit_seconds(self) -> float | None:
        return slurm_seconds(self.time_limit) if self.time_limit else None


@dataclass(frozen=True)
class Sweep:
    path: Path
    output_root: Path
    models: tuple[SweepModel, ...]
    tasks: tuple[str, ...]
    settings: SweepSettings
    executor: Executor


def load_sweep(path: Path) -> Sweep:
    """Read and check a sweep file; relative paths in it are taken from the file's folder."""
    data = _read_yaml(path)
    where = str(path)
    _check_keys(data, _TOP, where, "")
    for key in ("output_root", "models", "tasks"):
        if key not in data:
            raise SweepFileError(f"{where}: '{key}' is missing; {_MISSING_FIX[key]}")
    base = path.parent
    output_root = _path(data["output_root"], base, where, "output_root")
    if output_root is None:
        raise SweepFileError(f"{where}: 'output_root' is empty; give the folder the runs go under")
    return Sweep(path=path, output_root=output_root, models=_models(data["models"], base, where),
                 tasks=_tasks(data["tasks"], where), settings=_settings(data.get("settings") or {}, base, where),
                 executor=_executor(data.get("executor") or {}, where))


_MISSING_FIX = {
    "output_root": "give the folder the runs go under (output_root: sweeps/main)",
    "models": "give a list of models (models: [{name: eagle-x5-7b}])",
    "tasks": "give paper, all, or a list of task names (tasks: [textvqa, pope])",
}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = read_yaml(path)
    except YamlReadError as err:
        if err.is_folder:
            raise SweepFileError(f"{path} is a folder; give the sweep's YAML file") from None
        raise SweepFileError(f"{path}: {err}") from None
    if not isinstance(data, dict):
        raise SweepFileError(f"{path}: expected a mapping with output_root, models and tasks, "
                             f"got {type(data).__name__}")
    return data


def _check_keys(data: Any, allowed: tuple[str, ...], where: str, key: str) -> None:
    label = f"'{key}'" if key else "the file"
    if not isinstance(data, dict):
        raise SweepFileError(f"{where}: {label} must be a mapping (key: value), got {type(data).__name__}")
    for name in data:
        if name not in allowed:
            raise SweepFileError(f"{where}: unknown key '{_join(key, str(name))}'; "
                                 f"{label} takes {', '.join(allowed)}")


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _path(value: Any, base: Path, where: str, key: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SweepFileError(f"{where}: '{key}' must be a path (text), got {value!r}")
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _text(value: Any, where: str, key: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SweepFileError(f"{where}: '{key}' must be text, got {value!r}")
    return str(value)


def _models(value: Any, base: Path, where: str) -> tuple[SweepModel, ...]:
    if not isinstance(value, list) or not value:
        raise SweepFileError(f"{where}: 'models' must be a non-empty list (models: [{{name: eagle-x5-7b}}])")
    models = [_model(item, base, where, f"models[{index}]") for index, item in enumerate(value)]
    seen: dict[tuple[Any, ...], int] = {}
    for index, model in enumerate(models):
        key = (model.name, model.model_path, model.revision, tuple(sorted(model.model_args.items())), model.predictions)
        if key in seen:
            raise SweepFileError(f"{where}: 'models[{index}]' repeats models[{seen[key]}]; remove it or change "
                                 "its model_path, revision or model_args")
        seen[key] = index
    return tuple(models)


def _model(item: Any, base: Path, where: str, key: str) -> SweepModel:
    if isinstance(item, str):
        item = {"name": item}
    _check_keys(item, _MODEL, where, key)
    name = _text(item.get("name"), where, f"{key}.name")
    if not name:
        raise SweepFileError(f"{where}: '{key}.name' is missing; give a registered model, hf:ORG/NAME or openai:NAME")
    try:
        resolve_model_name(name)
    except UnknownNameError as err:
        raise SweepFileError(f"{where}: '{key}.name': {err}") from None
    args = item.get("model_args") or {}
    if not isinstance(args, dict):
        raise SweepFileError(f"{where}: '{key}.model_args' must be a mapping (model_args: {{KEY: VALUE}})")
    model_path = _path(item.get("model_path"), base, where, f"{key}.model_path")
    return SweepModel(name=name, model_path=str(model_path) if model_path else None,
                      model_args={str(k): _scalar(v, where, f"{key}.model_args.{k}") for k, v in args.items()},
                      revision=_text(item.get("revision"), where, f"{key}.revision"),
                      label=_text(item.get("label"), where, f"{key}.label"),
                      predictions=_path(item.get("predictions"), base, where, f"{key}.predictions"))


def _scalar(value: Any, where: str, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list) or value is None:
        raise SweepFileError(f"{where}: '{key}' must be a plain value, got {value!r}")
    return str(value)


def _tasks(value: Any, where: str) -> tuple[str, ...]:
    from eagle_eval.run.config import expand_task_names

    if isinstance(value, str | list) and value:
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise SweepFileError(f"{where}: 'tasks' must list task names as text (tasks: [textvqa, pope])")
        try:
            names = expand_task_names(value)
        except UnknownNameError as err:
            raise SweepFileError(f"{where}: 'tasks': {err}") from None
        if names:
            return tuple(names)
    raise SweepFileError(f"{where}: 'tasks' must be paper, all, or a non-empty list of task names")


def _settings(value: Any, base: Path, where: str) -> SweepSettings:
    _check_keys(value, _SETTINGS, where, "settings")
    seed = value.get("seed", 1234)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SweepFileError(f"{where}: 'settings.seed' must be a whole number, got {seed!r}")
    return SweepSettings(data_root=_path(value.get("data_root"), base, where, "settings.data_root"),
                         lock=_path(value.get("lock"), base, where, "settings.lock"),
                         batch_size=_batch_size(value.get("batch_size", "auto"), where),
                         limit=_limit(value.get("limit"), where), seed=seed,
                         gen_kwargs=_gen_kwargs(value.get("gen_kwargs"), where))


def _batch_size(value: Any, where: str) -> int | str:
    if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return value
    raise SweepFileError(f"{where}: 'settings.batch_size' must be auto or a positive whole number, got {value!r}")


def _limit(value: Any, where: str) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0 or (
            isinstance(value, float) and value >= 1):
        raise SweepFileError(f"{where}: 'settings.limit' must be a count (>= 1) or a fraction (0 < limit < 1), "
                             f"got {value!r}")
    return value


def _gen_kwargs(value: Any, where: str) -> GenKwargs | None:
    try:
        if value is None:
            return None
        if isinstance(value, str):
            return parse_gen_kwargs(value)
        if isinstance(value, dict):
            return check_gen_kwargs(dict(value))
    except GenKwargsError as err:
        raise SweepFileError(f"{where}: 'settings.gen_kwargs': {err}") from None
    raise SweepFileError(f"{where}: 'settings.gen_kwargs' must be a mapping ({{temperature: 0.2}}) or "
                         "\"temperature=0.2\"")


def _executor(value: Any, where: str) -> Executor:
    _check_keys(value, _EXECUTOR, where, "executor")
    kind = value.get("kind", "local")
    if kind not in EXECUTOR_KINDS:
        raise SweepFileError(f"{where}: 'executor.kind' must be one of {', '.join(EXECUTOR_KINDS)}, got {kind!r}")
    counts = {key: value.get(key, 1) for key in ("gpus_per_job", "processes_per_job")}
    for key, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < (0 if key == "gpus_per_job" else 1):
            raise SweepFileError(f"{where}: 'executor.{key}' must be a whole number "
                                 f"(>= {0 if key == 'gpus_per_job' else 1}), got {count!r}")
    time_limit = _text(value.get("time_limit"), where, "executor.time_limit")
    if time_limit is not None and not _TIME.match(time_limit):
        raise SweepFileError(f"{where}: 'executor.time_limit' {time_limit!r} is not a scheduler time; "
                             "give HH:MM:SS or D-HH:MM:SS (quoted: \"04:00:00\")")
    memory = _text(value.get("memory"), where, "executor.memory")
    if memory is not None and not _MEMORY.match(memory):
        raise SweepFileError(f"{where}: 'executor.memory' {memory!r} is not a size; give e.g. 200G or 64000M")
    flags = value.get("extra_flags") or []
    if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
        raise SweepFileError(f"{where}: 'executor.extra_flags' must be a list of flags (extra_flags: [\"--exclusive\"])")
    return Executor(kind=kind, gpus_per_job=counts["gpus_per_job"], processes_per_job=counts["processes_per_job"],
                    partition=_text(value.get("partition"), where, "executor.partition"),
                    account=_text(value.get("account"), where, "executor.account"),
                    qos=_text(value.get("qos"), where, "executor.qos"), time_limit=time_limit, memory=memory,
                    extra_flags=tuple(flags), gpus=_gpus(value.get("gpus"), where),
                    max_jobs=_whole(value.get("max_jobs", 1), where, "executor.max_jobs"),
                    seconds_per_sample=_seconds(value.get("seconds_per_sample", DEFAULT_SECONDS_PER_SAMPLE), where,
                                                "executor.seconds_per_sample"),
                    load_seconds=_seconds(value.get("load_seconds", DEFAULT_LOAD_SECONDS), where,
                                          "executor.load_seconds"))


def _gpus(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, int | str) and not isinstance(i, bool)
                                                      for i in items):
        raise SweepFileError(f"{where}: 'executor.gpus' must list GPU ids (gpus: [0, 1, 2, 3])")
    return tuple(str(item).strip() for item in items if str(item).strip())


def _whole(value: Any, where: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SweepFileError(f"{where}: '{key}' must be a whole number (>= 1), got {value!r}")
    return value


def _seconds(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SweepFileError(f"{where}: '{key}' must be a number of seconds (>= 0), got {value!r}")
    return float(value)


def slurm_seconds(text: str) -> float:
    """Seconds of a Slurm time (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS)."""
    days, _, rest = text.rpartition("-")
    parts = [int(part) for part in rest.split(":")]
    if days:  # D-HH[:MM[:SS]]
        parts += [0] * (3 - len(parts))
        hours, minutes, seconds = parts
    elif len(parts) == 1:
        hours, minutes, seconds = 0, parts[0], 0
    elif len(parts) == 2:
        hours, (minutes, seconds) = 0, parts
    else:
        hours, minutes, seconds = parts
    return float(((int(days or 0) * 24 + hours) * 60 + minutes) * 60 + seconds)
