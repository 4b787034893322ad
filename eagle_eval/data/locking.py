"""Building a lock: resolve every split the tasks read (and the model's checkpoint) to a commit and hash.

Resolution goes through the same code a run uses (eagle_eval.data.loading.source_provenance), so a lock and
the run held to it agree on which files count. A split whose commit and content are both unknowable
cannot be locked and is an error; so is a snapshot that contradicts a commit the task itself pins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from eagle_eval.data.loading import Source, describe_source, fetch_command, source_provenance
from eagle_eval.provenance.checkpoint import checkpoint_provenance, hub_checkpoint_provenance
from eagle_eval.provenance.hashes import FileHashCache
from eagle_eval.provenance.lockfile import Lock, LockedModel, LockError, locked_dataset
from eagle_eval.provenance.revisions import UNKNOWN, Provenance, is_commit


@dataclass(frozen=True)
class ModelToLock:
    name: str
    hub_id: str | None
    revision: str | None
    model_path: Path | None = None


def build_lock(tasks: Sequence[tuple[str, Sequence[Source]]], model: ModelToLock | None, data_root: Path | None,
               command: str = "", cache: FileHashCache | None = None) -> Lock:
    """The lock for `tasks` ([(task name, its sources)]) and `model`; LockError naming every problem."""
    cache = cache or FileHashCache()
    users: dict[tuple[str, str | None, str], tuple[Source, list[str]]] = {}
    for task, sources in tasks:
        for source in sources:
            users.setdefault((source.repo, source.config, source.split), (source, []))[1].append(task)
    problems: list[str] = []
    lock = Lock(created_at=datetime.now(UTC).isoformat(timespec="seconds"), command=command)
    for source, names in users.values():
        found = source_provenance(source, data_root, cache)
        problem = _problem(source, found, data_root)
        if problem:
            problems.append(problem)
        else:
            lock.datasets.append(locked_dataset(source, found, tuple(names)))
    if model is not None:
        checkpoint = _model_provenance(model, cache)
        if checkpoint is None:
            pass  # reads no weights of its own (replay, a generated tiny model): nothing to lock
        elif checkpoint.commit == UNKNOWN and checkpoint.content_hash == UNKNOWN:
            problems.append(f"model {model.name}: nothing knowable about its checkpoint ({checkpoint.note}); "
                            "pass --model-path with a downloaded copy, or run online")
        else:
            lock.models.append(LockedModel(model.name, model.hub_id, model.revision, checkpoint.commit,
                                           checkpoint.content_hash, checkpoint.files))
    if problems:
        raise LockError("cannot lock: " + " | ".join(problems))
    return lock


def _problem(source: Source, found: Provenance, data_root: Path | None) -> str | None:
    target = data_root / source.repo if data_root is not None else Path("<DIR>") / source.repo
    if found.commit == UNKNOWN and found.content_hash == UNKNOWN:
        return (f"{describe_source(source)}: neither commit nor content is knowable ({found.note}); fetch it "
                f"with: {fetch_command(source, target)} and pass --data-root, or run online")
    if is_commit(source.revision) and found.commit not in (source.revision, UNKNOWN):
        return (f"{describe_source(source)} is at commit {found.commit}, but the task pins {source.revision}; "
                f"fetch the pinned revision with: {fetch_command(source, target)}")
    return None


def _model_provenance(model: ModelToLock, cache: FileHashCache) -> Provenance | None:
    if model.model_path is not None:
        return checkpoint_provenance(model.model_path, cache)
    if model.hub_id is None:
        return None
    return hub_checkpoint_provenance(model.hub_id, model.revision, cache)
