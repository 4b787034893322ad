"""Scale-out over processes started by torchrun or `accelerate launch` (RANK, WORLD_SIZE, LOCAL_RANK).

Each rank generates a deterministic share of a task's docs and appends them to its own samples file,
samples/<task>.rank<r>.<launch>.jsonl, so ranks never write the same file, and a rank file belongs to
the launch that wrote it (the launch id comes from rank 0's run-directory lock, eagle_eval.run.ownership). When every rank is done (a
torch.distributed barrier: gloo on CPU, nccl on GPU, initialised from the launcher's environment),
rank 0 folds the rank files into samples/<task>.jsonl, scores once and writes results.json; the other
ranks exit without writing results.

Folding is also how resume works across world sizes: before a task starts, rank 0 folds any rank files
a killed run left behind into samples/<task>.jsonl, so every rank then reads one file that holds every
stored prediction, whatever world size wrote it. Folded lines are appended in the task's doc order, so
the merged file does not depend on the number of ranks or on which rank finished first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from eagle_eval.core.output_files import write_text_atomic
from eagle_eval.core.records import Doc
from eagle_eval.results.samples import latest_by_key, read_samples, repair_samples_file
from eagle_eval.run.scoring import Outcome

TIMEOUT_ENV = "EAGLE_EVAL_DIST_TIMEOUT_S"
# Ranks wait at a barrier for the slowest one (and rank 0 for nothing else); a long run with uneven
# shards can keep a rank waiting for hours, far past torch's default of 10-30 minutes.
DEFAULT_TIMEOUT_S = 6 * 3600
# `<task>.rank<r>.<launch>.jsonl`; files of older releases have no launch part.
_RANK_FILE = re.compile(r"^(?P<task>.+?)\.rank(?P<rank>\d+)(?:\.(?P<launch>[0-9a-z]+))?\.jsonl$")


class DistributedError(ValueError):
    """Launcher settings that cannot work (inconsistent ranks, one GPU named for many ranks)."""


@dataclass(frozen=True)
class DistContext:
    """Where this process stands in a launch: rank r of world_size, on node-local GPU local_rank."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def context_from_env(environ: Mapping[str, str] | None = None) -> DistContext:
    """The launch context from RANK / WORLD_SIZE / LOCAL_RANK (single process when they are unset)."""
    env = os.environ if environ is None else environ

    def number(name: str, default: int) -> int:
        raw = env.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError as err:
            raise DistributedError(f"{name}={raw!r} is not an integer; it is set by torchrun") from err

    world_size = number("WORLD_SIZE", 1)
    rank = number("RANK", 0)
    local_rank = number("LOCAL_RANK", rank)
    if world_size < 1 or not 0 <= rank < world_size or local_rank < 0:
        raise DistributedError(
            f"inconsistent launch: RANK={rank}, WORLD_SIZE={world_size}, LOCAL_RANK={local_rank}; "
            "start the run with torchrun or accelerate launch, or unset these variables"
        )
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank)


def device_for_rank(requested: str | None, ctx: DistContext, cuda_available: bool) -> str | None:
    """The device of this rank: cuda:<local_rank> for `cuda` (or no --device when a GPU is present)."""
    if not ctx.is_distributed:
        return requested
    if requested is None:
        return f"cuda:{ctx.local_rank}" if cuda_available else None
    if requested == "cuda":
        return f"cuda:{ctx.local_rank}"
    if requested.startswith("cuda:") or requested == "auto":
        raise DistributedError(
            f"--device {requested} puts every one of the {ctx.world_size} ranks on the same GPU(s); "
            "pass --device cuda (each rank takes cuda:<LOCAL_RANK>) or run a single process"
        )
    return requested


def shard_docs(docs: Sequence[Doc], done_keys: set[tuple[str, int]], ctx: DistContext) -> list[Doc]:
    """This rank's share: every world_size-th doc still to do, then every world_size-th done doc.

    Docs whose stored prediction succeeded are shared out separately, so a resumed run splits the
    remaining work evenly; each rank still checks its done docs' fingerprints and redoes stale ones.
    """
    if not ctx.is_distributed:
        return list(docs)
    pending = [doc for doc in docs if doc.key not in done_keys]
    done = [doc for doc in docs if doc.key in done_keys]
    return pending[ctx.rank :: ctx.world_size] + done[ctx.rank :: ctx.world_size]


def rank_samples_path(samples_path: Path, rank: int, launch: str | None = None) -> Path:
    """samples/<task>.jsonl → samples/<task>.rank<r>.<launch>.jsonl (no launch part when None)."""
    suffix = f".{launch}" if launch else ""
    return samples_path.with_name(f"{samples_path.stem}.rank{rank}{suffix}.jsonl")


def rank_files(samples_path: Path, launch: str | None = None) -> list[Path]:
    """The rank files beside a merged samples file, in (launch, rank) order; only `launch`'s if given."""
    if not samples_path.parent.is_dir():
        return []
    found = []
    for path in samples_path.parent.iterdir():
        match = _RANK_FILE.match(path.name)
        if match and match.group("task") == samples_path.stem:
            if launch is not None and match.group("launch") != launch:
                continue
            found.append(((match.group("launch") or "", int(match.group("rank"))), path))
    return [path for _, path in sorted(found)]


def fold_rank_files(samples_path: Path, docs: Sequence[Doc], launch: str | None = None) -> int:
    """Append rank files' lines to samples_path in doc order, then delete those rank files.

    With `launch`, only that launch's files are folded (its ranks just finished); without, every rank
    file is, which is right only while holding the run directory's lock: then they are leftovers of
    killed launches.

    Lines keep their order within a doc (a retry stays after its failed attempt); lines for docs not
    in `docs` (a smaller --limit than the run that wrote them) go last, by split and doc_id. The new
    file replaces the old one atomically, and rank files are deleted only after that, so a run killed
    in between folds them again, and the repeated lines are identical. Returns the lines folded.
    """
    files = rank_files(samples_path, launch)
    if not files:
        return 0
    position = {doc.key: index for index, doc in enumerate(docs)}
    lines: list[tuple[tuple[int, str, int], int, str]] = []
    for path in files:
        repair_samples_file(path)  # a rank killed mid-write leaves a torn last line
        for record in read_samples(path):
            order = (position.get(record.key, len(position)), record.split, record.doc_id)
            lines.append((order, len(lines), record.to_line()))
    lines.sort()
    repair_samples_file(samples_path)
    existing = samples_path.read_text(encoding="utf-8") if samples_path.exists() else ""
    write_text_atomic(samples_path, existing + "".join(line for _, _, line in lines))
    for path in files:
        path.unlink()
    return len(lines)


# --- the process group ---------------------------------------------------------------------------


def timeout_from_env(environ: Mapping[str, str] | None = None) -> timedelta:
    env = os.environ if environ is None else environ
    raw = env.get(TIMEOUT_ENV, "")
    try:
        seconds = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError as err:
        raise DistributedError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds") from err
    if seconds <= 0:
        raise DistributedError(f"{TIMEOUT_ENV}={raw!r} must be positive")
    return timedelta(seconds=seconds)


class ProcessGroup:
    """torch.distributed from the launcher's environment, used only for barriers.

    nccl when this rank runs on a GPU (its barrier runs on cuda:<local_rank>), gloo otherwise. A
    single-process run has no group and every barrier returns at once, so torch is not imported.
    """

    def __init__(self, ctx: DistContext, device: str | None) -> None:
        self.ctx = ctx
        self.device = device
        self._dist: Any = None
        self._owns_group = False

    @property
    def backend(self) -> str:
        return "nccl" if self.device is not None and self.device.startswith("cuda") else "gloo"

    def start(self) -> ProcessGroup:
        if not self.ctx.is_distributed:
            return self
        import torch
        import torch.distributed as dist

        self._dist = dist
        if self.backend == "nccl":
            torch.cuda.set_device(self.ctx.local_rank)
        if not dist.is_initialized():
            dist.init_process_group(
                backend=self.backend,
                init_method="env://",
                rank=self.ctx.rank,
                world_size=self.ctx.world_size,
                timeout=timeout_from_env(),
            )
            self._owns_group = True
        return self

    def barrier(self) -> None:
        if self._dist is None:
            return
        if self.backend == "nccl":
            self._dist.barrier(device_ids=[self.ctx.local_rank])
        else:
            self._dist.barrier()

    def broadcast(self, value: Any) -> Any:
        """Rank 0's `value` on every rank (any picklable object); a single process gets its own back."""
        if self._dist is None:
            return value
        box = [value]
        self._dist.broadcast_object_list(box, src=0)
        return box[0]

    def close(self) -> None:
        if self._dist is not None and self._owns_group and self._dist.is_initialized():
            self._dist.destroy_process_group()
        self._dist = None

    def __enter__(self) -> ProcessGroup:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "DistContext",
    "DistributedError",
    "ProcessGroup",
    "context_from_env",
    "device_for_rank",
    "fold_rank_files",
    "rank_files",
    "rank_samples_path",
    "shard_docs",
]


def merged_outcomes(samples_path: Path, docs: Sequence[Doc]) -> dict[tuple[str, int], Outcome]:
    """Every doc's latest line in the merged samples file (each was written or checked in this run)."""
    stored = latest_by_key(read_samples(samples_path))
    missing = [f"{doc.split}/{doc.doc_id}" for doc in docs if doc.key not in stored]
    if missing:
        raise RuntimeError(f"{samples_path} has no line for {len(missing)} doc(s) after merging: {missing[:5]}")
    return {doc.key: Outcome(stored[doc.key].prediction, stored[doc.key].error, stored[doc.key].notes) for doc in docs}
