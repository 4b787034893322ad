"""The leaderboard's rows before any number is printed: one row per evaluated model identity.

Runs of the same model identity and settings (the model fingerprint of results.json, the variant,
seed, --limit/--offset window, --gen-kwargs and --model-arg) make one row, their tasks united; a
file found twice (the same run copied into two folders) is one run. A row's label is the one the
user gives (`table --label RUN=NAME`), else the one recorded at run time (`run --label`), else a
readable default: the registered model name, the hub id, or the checkpoint folder's name. Runs given
the same label by `table --label` make one row too. The same task from two runs of one row counts once when both
entries agree; otherwise the table refuses the pair (`BoardConflict`), naming the runs and the task.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from eagle_eval.results.document import ResultsError, RunResults, TaskResult


class BoardConflict(ResultsError):
    """Two runs of one row hold the same task with different models or numbers."""


@dataclass
class BoardEntry:
    """One row of the board: the runs merged into it and their tasks, united."""

    label: str
    run: RunResults  # the first run, its results replaced by the union of every run's
    run_ids: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


def parse_labels(specs: Sequence[str]) -> dict[str, str]:
    """`--label RUN=NAME` pairs; RUN is a run id, a results file or its folder."""
    labels: dict[str, str] = {}
    for spec in specs:
        run, sep, name = spec.partition("=")
        if not sep or not run.strip() or not name.strip():
            raise ValueError(f"--label {spec!r}: expected RUN=NAME (a run id or a results path, then the row's name)")
        labels[run.strip()] = name.strip()
    return labels


def board_entries(runs: Sequence[tuple[Path, RunResults]], labels: Mapping[str, str] | None = None) -> list[BoardEntry]:
    """Rows of the board, in the order their first run was found."""
    labels = dict(labels or {})
    groups: dict[tuple, list[tuple[Path, RunResults, str | None]]] = {}
    for path, run in runs:
        chosen = _given_label(path, run, labels)
        key = ("label", chosen) if chosen else identity_key(run)
        chosen = chosen or run.label
        group = groups.setdefault(key, [])
        if any(_same_file(path, other) for other, _, _ in group):
            continue  # the same results file named twice
        group.append((path, run, chosen))
    unused = set(labels) - {key for key in labels if any(_names_run(key, p, r) for p, r in runs)}
    if unused:
        raise ResultsError(f"--label {', '.join(sorted(unused))}: no run found with that run id or results path")
    entries = [_merged(members) for members in groups.values()]
    _disambiguate(entries)
    return entries


def identity_key(run: RunResults) -> tuple:
    """What makes two runs one row: the model evaluated (its fingerprint) and the settings that change numbers."""
    model = run.model
    identity = model.fingerprint or json.dumps(
        [model.name, model.hub_id, model.revision, (model.weights or {}).get("fingerprint"), model.dtype,
         model.settings, model.extra.get("predictions")], sort_keys=True, default=str)
    settings = run.settings
    return ("model", identity, run.display_name, run.seed, settings.limit, settings.offset,
            json.dumps(settings.gen_kwargs, sort_keys=True), json.dumps(settings.model_args, sort_keys=True))


def default_label(run: RunResults) -> str:
    """A readable name: the registered model, the hub id, or the checkpoint folder's name (never a temp path)."""
    name = run.model.name
    if name.startswith("hf:"):
        source = name[3:]
        name = run.model.hub_id or (Path(source).name if "/" not in source.strip("/") or Path(source).is_absolute()
                                    or source.startswith(".") else source)
    elif name == "replay" and run.model.extra.get("predictions"):
        folder = Path(str(run.model.extra["predictions"]))
        folder = folder.parent.parent if folder.parent.name == "samples" else folder
        name = f"replay of {folder.stem if folder.suffix == '.jsonl' else folder.name}"
    return f"{name} {run.variant.label}" if run.variant is not None else name


def _given_label(path: Path, run: RunResults, labels: Mapping[str, str]) -> str | None:
    for key, name in labels.items():
        if _names_run(key, path, run):
            return name
    return None


def _names_run(key: str, path: Path, run: RunResults) -> bool:
    if key == run.run_id:
        return True
    wanted = Path(key).resolve()
    return wanted in (path.resolve(), path.resolve().parent)


def _same_file(path: Path, other: Path) -> bool:
    return path.resolve() == other.resolve()


def _merged(members: list[tuple[Path, RunResults, str | None]]) -> BoardEntry:
    _, first, _ = members[0]
    chosen = next((label for _, _, label in members if label), None)
    results: dict[str, TaskResult] = {}
    origin: dict[str, str] = {}
    run_ids: list[str] = []
    for path, run, _ in members:
        if run.run_id not in run_ids:
            run_ids.append(run.run_id)
        for name, result in run.results.items():
            if name in results and not _agree(results[name], result):
                raise BoardConflict(
                    f"task {name} is in two runs of the row '{chosen or default_label(first)}' with different "
                    f"{_difference(results[name], result)}: {origin[name]} and {path}; keep one of them, or "
                    "give them different labels (table --label RUN=NAME)")
            results.setdefault(name, result)
            origin.setdefault(name, str(path))
    merged = replace(first, results=results)
    return BoardEntry(label=chosen or default_label(first), run=merged, run_ids=run_ids,
                      paths=[str(path) for path, _, _ in members])


def _agree(one: TaskResult, other: TaskResult) -> bool:
    return _comparable(one) == _comparable(other)


def _comparable(result: TaskResult) -> dict:
    data = asdict(result)
    data.pop("timings", None)  # how fast it ran is not what it scored
    return data


def _difference(one: TaskResult, other: TaskResult) -> str:
    if one.model_fingerprint != other.model_fingerprint:
        return f"model fingerprints ({one.model_fingerprint} and {other.model_fingerprint})"
    if one.docs_fingerprint != other.docs_fingerprint:
        return "docs"
    return "scores"


def _disambiguate(entries: list[BoardEntry]) -> None:
    """Labels that repeat get the setting that tells their rows apart (seed, window, decoding, run id)."""
    by_label: dict[str, list[BoardEntry]] = {}
    for entry in entries:
        by_label.setdefault(entry.label, []).append(entry)
    for same in by_label.values():
        if len(same) < 2:
            continue
        for describe in (_seed_text, _window_text, _decoding_text, lambda e: e.run_ids[0]):
            tags = [describe(entry) for entry in same]
            if len(set(tags)) == len(tags):
                for entry, tag in zip(same, tags, strict=True):
                    entry.label = f"{entry.label} ({tag})"
                break


def _seed_text(entry: BoardEntry) -> str:
    return f"seed {entry.run.seed}"


def _window_text(entry: BoardEntry) -> str:
    settings = entry.run.settings
    if settings.limit is None and not settings.offset:
        return "full"
    return f"--limit {settings.limit}" + (f" --offset {settings.offset}" if settings.offset else "")


def _decoding_text(entry: BoardEntry) -> str:
    kwargs = entry.run.settings.gen_kwargs
    return ",".join(f"{k}={v}" for k, v in sorted(kwargs.items())) if kwargs else "protocol decoding"
