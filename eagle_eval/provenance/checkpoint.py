"""The commit and content hash of a model checkpoint, and its check against a lock.

The weights hashed are the ones a loader reads: the shards `model.safetensors.index.json` names (or
`model.safetensors`, or the `pytorch_model*.bin` equivalents). Config and tokenizer files are small
text a reviewer can diff; the weights are what a silent re-upload changes.
"""

from __future__ import annotations

import json
from pathlib import Path

from eagle_eval.core import text_input
from eagle_eval.provenance.hashes import FileHashCache
from eagle_eval.provenance.lockfile import Lock, drift
from eagle_eval.provenance.revisions import (
    UNKNOWN,
    Provenance,
    directory_provenance,
    hub_commit,
    hub_files_provenance,
    is_commit,
)

_INDEXES = (("model.safetensors.index.json", "model.safetensors"), ("pytorch_model.bin.index.json", "pytorch_model.bin"))


class ModelPinError(ValueError):
    """A checkpoint that differs from its lock or is unpinned under --require-pinned (exit 2)."""


def weight_files_in(directory: Path) -> list[Path]:
    """The weight files of a checkpoint folder, safetensors preferred, in a fixed order (may be empty)."""
    directory = Path(directory)
    for index_name, single in _INDEXES:
        index = directory / index_name
        if index.exists():
            return [directory / name for name in _shards_named_in(index)]
        if (directory / single).exists():
            return [directory / single]
    return []


def _shards_named_in(index: Path) -> list[str]:
    try:
        weight_map = text_input.loads(index.read_text(encoding="utf-8")).get("weight_map")
        return sorted({str(name) for name in weight_map.values()})
    except (ValueError, AttributeError) as error:  # not JSON, or not {"weight_map": {...}}
        raise ModelPinError(f"{index} is not a checkpoint index ({{'weight_map': {{tensor: file}}}}): {error}; "
                            "the checkpoint is damaged or incomplete: download it again") from error


def checkpoint_provenance(directory: Path, cache: FileHashCache | None = None) -> Provenance:
    """Provenance of a local checkpoint folder (a `--local-dir` download or a hub-cache snapshot)."""
    files = [file for file in weight_files_in(directory) if file.exists()]
    if not files:
        return Provenance(note=f"no weight files found in {directory}")
    return directory_provenance(Path(directory), files, cache)


def cached_checkpoint_provenance(hub_id: str, revision: str | None, cache: FileHashCache | None = None) -> Provenance:
    """Provenance of a hub checkpoint from the hub cache alone (no network): what a loader just read."""
    from huggingface_hub import snapshot_download

    try:
        local = Path(snapshot_download(hub_id, revision=revision or "main", local_files_only=True))
    except Exception:  # noqa: BLE001 (not cached: nothing knowable without asking the hub)
        return Provenance(note=f"{hub_id} at {revision or 'main'} is not in the hub cache")
    return checkpoint_provenance(local, cache)


def hub_checkpoint_provenance(hub_id: str, revision: str | None, cache: FileHashCache | None = None) -> Provenance:
    """Provenance of a hub checkpoint without loading it: from the hub cache if it is there, else the hub."""
    from huggingface_hub import hf_hub_download, snapshot_download

    commit, commit_from = hub_commit(hub_id, revision, "model")
    if not is_commit(commit):
        return Provenance(note=f"{hub_id} at {revision or 'main'}: commit not resolvable (offline, not in the hub cache)")
    try:
        local = Path(snapshot_download(hub_id, revision=commit, local_files_only=True))
        found = checkpoint_provenance(local, cache)
        if found.content_hash != UNKNOWN:
            return found
    except Exception:  # noqa: BLE001 (not in the cache: ask the hub for the digests instead)
        pass
    try:
        for index_name, single in _INDEXES:
            try:
                index = Path(hf_hub_download(hub_id, index_name, revision=commit))
                names = sorted(set(json.loads(index.read_text())["weight_map"].values()))
            except Exception:  # noqa: BLE001 (no such index: a single-file checkpoint)
                names = [single]
            found = hub_files_provenance([f"hf://models/{hub_id}@{commit}/{name}" for name in names], "model")
            if found.content_hash != UNKNOWN:
                return found
    except Exception as error:  # noqa: BLE001
        return Provenance(commit, UNKNOWN, commit_from, (), f"weights not listable: {error}")
    return Provenance(commit, UNKNOWN, commit_from, (), "no weight files found on the hub")


def check_model(name: str, requested: str | None, found: Provenance | None, lock: Lock | None,
                require_pinned: bool) -> bool:
    """Whether the checkpoint is pinned (by the lock, or by a requested commit it matches).

    Raises ModelPinError when it differs from the lock or from the requested commit, or when it is
    unpinned and `require_pinned` is set. A model that reads no weights (replay) has nothing to pin.
    """
    if found is None:
        return True
    locked = lock.model(name) if lock is not None else None
    if locked is not None:
        problem = drift(locked.commit, locked.content_hash, found)
        if problem:
            fix = (f"Fetch the locked revision ({locked.commit})" if is_commit(locked.commit) else
                   f"The lock names no commit, only the content hash {locked.content_hash}, so nothing can fetch "
                   "it: restore the checkpoint files the lock was made from")
            raise ModelPinError(f"model {name} differs from the lock file {lock.path}: {problem}. {fix}, "  # type: ignore[union-attr]
                                f"or re-lock on purpose with: eagle-eval lock --model {name}")
        return True
    if is_commit(requested) and found.commit not in (requested, UNKNOWN):
        raise ModelPinError(f"model {name}: commit {found.commit} was read, but --revision asks for {requested}")
    pinned = is_commit(requested) and found.commit == requested
    if require_pinned and not pinned:
        raise ModelPinError(f"--require-pinned: model {name} is read at revision {requested or 'main'!r} (commit "
                            f"{found.commit}), which no lock or commit pins. Write a lock with: eagle-eval lock "
                            f"--model {name} (add --model-path DIR for a local checkpoint) and run with --lock FILE")
    return pinned
