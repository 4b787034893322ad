"""What a run holds its data and weights to: `--lock FILE` and `--require-pinned`, and what it records.

The runner opens `RunPins.loading(task)` around each task's data loading (every split is resolved,
checked and recorded there: eagle_eval.data.loading.DataReading), asks `model_revision` which checkpoint
revision to load before the model is built, and `check_model` once it is loaded. Both checks
happen before any generation, so a drifted run stops in seconds, not after hours.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eagle_eval.core.records import ModelInfo
from eagle_eval.data.loading import DataReading, Source, reading
from eagle_eval.provenance.checkpoint import (
    ModelPinError,
    cached_checkpoint_provenance,
    check_model,
    checkpoint_provenance,
)
from eagle_eval.provenance.hashes import FileHashCache
from eagle_eval.provenance.lockfile import Lock, read_lock
from eagle_eval.provenance.revisions import Provenance, is_commit


@dataclass
class RunPins:
    lock: Lock | None = None
    require_pinned: bool = False
    hash_cache: FileHashCache = field(default_factory=FileHashCache)
    data: DataReading = field(init=False)

    def __post_init__(self) -> None:
        self.data = DataReading(lock=self.lock, require_pinned=self.require_pinned, hash_cache=self.hash_cache)

    @classmethod
    def from_options(cls, lock_path: Path | None, require_pinned: bool) -> RunPins:
        return cls(lock=read_lock(lock_path) if lock_path is not None else None, require_pinned=require_pinned)

    @contextmanager
    def loading(self, task: str) -> Iterator[DataReading]:
        self.data.task = task
        with reading(self.data) as state:
            yield state

    def sources_of(self, sources: Sequence[Source]) -> list[dict[str, Any]]:
        """The results.json `sources` of a task: each as asked, with what was read and whether pinned."""
        return [self.data.record(source) for source in sources]

    def model_revision(self, name: str, requested: str | None, model_path: str | None) -> str | None:
        """The checkpoint revision to load: the lock's commit for a hub checkpoint, else as requested."""
        locked = self.lock.model(name) if self.lock is not None else None
        if locked is None or model_path is not None or not is_commit(locked.commit):
            return requested
        if requested is not None and requested not in (locked.commit, locked.revision):
            raise ModelPinError(f"--revision {requested} contradicts the lock file {self.lock.path}, which pins "  # type: ignore[union-attr]
                                f"model {name} to {locked.commit}; drop --revision or re-lock")
        return locked.commit

    def check_model(self, info: ModelInfo, requested: str | None, name: str) -> tuple[Provenance | None, bool | None]:
        """(provenance, pinned) of the weights the adapter loaded (`name`: as registered); ModelPinError on drift."""
        found = weights_provenance(info, requested, self.hash_cache)
        pinned = check_model(name, requested, found, self.lock, self.require_pinned)
        return found, (pinned if found is not None else None)


def weights_provenance(info: ModelInfo, requested: str | None, cache: FileHashCache | None = None) -> Provenance | None:
    """Provenance of the checkpoint an adapter read, from the folder it reports or its hub id.

    A hub id is looked up in the hub cache only: the loader has just read it from there, and a run
    must not depend on the network for its bookkeeping. None for adapters that report neither (replay).
    """
    extra = info.extra or {}
    for key in ("checkpoint_dir", "source"):
        folder = extra.get(key)
        if folder and Path(str(folder)).is_dir():
            return checkpoint_provenance(Path(str(folder)), cache)
    if info.hub_id:
        return cached_checkpoint_provenance(info.hub_id, info.revision or requested, cache)
    return None
