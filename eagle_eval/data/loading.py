"""Loading a task's data: from the hub, or from a local snapshot of the hub repo under a data root."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from eagle_eval.data.files import corrupt_file, library_logs_silenced, total_rows
from eagle_eval.data.hub_reach import hub_reach
from eagle_eval.provenance.hashes import FileHashCache, sha256_of_file, stat_key
from eagle_eval.provenance.lockfile import Lock, LockedDataset, drift
from eagle_eval.provenance.revisions import (
    UNKNOWN,
    Provenance,
    directory_provenance,
    hub_files_provenance,
    is_commit,
)

DATA_ROOT_ENV = "EAGLE_EVAL_DATA_ROOT"


@dataclass(frozen=True)
class Source:
    """One hub dataset split a task reads. `revision` pins the dataset repo's commit."""

    repo: str
    config: str | None
    split: str
    revision: str

    def to_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "config": self.config, "split": self.split, "revision": self.revision}


class DataError(RuntimeError):
    """Data that cannot be read; the message names the repo, the path and the fix."""


def resolve_data_root(data_root: str | Path | None) -> Path | None:
    """--data-root, else $EAGLE_EVAL_DATA_ROOT; a folder that is not there is named as such (a typo in it
    would otherwise read as every dataset missing)."""
    value = data_root if data_root is not None else os.environ.get(DATA_ROOT_ENV)
    if not value:
        return None
    root = Path(value).expanduser()
    given = f"--data-root {root}" if data_root is not None else f"{DATA_ROOT_ENV}={root}"
    if not root.exists():
        near = _near_folders(root)
        raise DataError(f"{given}: no such folder{near}; give the folder that holds ORG/NAME dataset snapshots "
                        "or a hub cache")
    if not root.is_dir():
        raise DataError(f"{given} is a file, not a folder; give the folder that holds ORG/NAME dataset snapshots")
    return root


def _near_folders(root: Path) -> str:
    import difflib

    try:
        siblings = [p.name for p in root.parent.iterdir() if p.is_dir()]
    except OSError:
        return ""
    close = difflib.get_close_matches(root.name, siblings, n=1, cutoff=0.6)
    return f" (did you mean {root.parent / close[0]}?)" if close else ""


def hub_cli() -> str:
    """The download command the installed huggingface_hub ships: `hf` in current releases, which no
    longer install `huggingface-cli`; the old name only where it is the one there is."""
    scripts = {ep.name for ep in entry_points(group="console_scripts") if ep.value.startswith("huggingface_hub")}
    return "huggingface-cli" if "huggingface-cli" in scripts and "hf" not in scripts else "hf"


def fetch_command(source: Source, local_dir: Path | str) -> str:
    return (
        f"{hub_cli()} download --repo-type dataset {source.repo} --revision {source.revision}"
        f" --local-dir {local_dir}"
    )


def _local_cache_dir(source: Source, data_root: Path, content_hash: str | None) -> str:
    """A cache folder per content of what is read: the split files' hash (the one just checked against
    the lock, when there is one) and the dataset card that maps configs to files.

    datasets keys the cache of a local folder by repo name and config only, and its own fingerprint of a
    local file by path and mtime, so a second snapshot of the same repo, or a file patched in place and
    re-dated, would be served from the first one's cache while the run records the other's hash.
    """
    import datasets

    local = snapshot_dir(source, data_root)
    if not content_hash or content_hash == UNKNOWN:
        content_hash = source_provenance(source, data_root).content_hash
    if content_hash == UNKNOWN:  # no split files resolvable: the whole snapshot's stat, as git keys it
        content_hash = repr([(str(p.resolve()), *stat_key(p.stat())) for p in sorted(local.rglob("*")) if p.is_file()])
    card = local / "README.md"
    card_digest = sha256_of_file(card) if card.is_file() else ""
    key = hashlib.sha256(f"{content_hash}\n{card_digest}".encode()).hexdigest()[:16]
    return str(Path(datasets.config.HF_DATASETS_CACHE) / "eagle_eval_local" / key)


def snapshot_dir(source: Source, data_root: Path) -> Path:
    """Where a source's files are under a data root.

    `ROOT/ORG/NAME` as `hf download --local-dir` leaves it; or, when ROOT is a hub cache
    (`HF_HUB_CACHE`), `ROOT/datasets--ORG--NAME/snapshots/<commit>` for the source's revision (a ref
    resolved through `refs/<ref>`). A missing snapshot gives the `--local-dir` path, for the message.
    """
    from huggingface_hub.file_download import repo_folder_name

    local = data_root / source.repo
    cached = data_root / repo_folder_name(repo_id=source.repo, repo_type="dataset")
    if local.is_dir() or not cached.is_dir():
        return local
    revision = source.revision or "main"
    if not is_commit(revision):
        try:
            revision = (cached / "refs" / revision).read_text().strip()
        except OSError:
            return local
    snapshot = cached / "snapshots" / revision
    return snapshot if snapshot.is_dir() else local


def reading_root(source: Source, data_root: Path | None) -> Path | None:
    """Where one split is read from, decided without reading it; DataError with the fix when nowhere.

    A data root, when given, is the only place looked at. Without one: the hub (None) when the repo is
    not a local folder and the hub answers (eagle_eval.data.hub_reach: one bounded probe per process). When
    the hub does not answer, the hub cache's snapshot of the split's revision, said on stderr (the
    results record its commit as read from the hub cache); with no snapshot there, a DataError at once,
    rather than the minutes huggingface_hub and datasets spend retrying before they say the same.
    """
    root, told = _locate(source, data_root)
    if told:
        from eagle_eval.core.terminal import note

        note(told)
    return root


def is_findable(source: Source, data_root: Path | None) -> bool:
    """Whether `reading_root` finds the split (quietly; nothing is read)."""
    try:
        _locate(source, data_root)
    except DataError:
        return False
    return True


def _locate(source: Source, data_root: Path | None) -> tuple[Path | None, str | None]:
    """`reading_root`'s answer and, when it reads the hub cache instead of the hub, the note saying so."""
    if data_root is not None:
        local = snapshot_dir(source, data_root)
        if not local.is_dir():
            raise DataError(
                f"dataset {source.repo} not found under the data root: looked at {local}. "
                f"Fetch it with: {fetch_command(source, local)}"
            )
        return data_root, None
    if Path(source.repo).is_dir():  # datasets reads a local folder of that name before asking the hub
        return None, None
    reach = hub_reach()
    if reach.reachable:
        return None, None
    from huggingface_hub import constants

    hub_cache = Path(constants.HF_HUB_CACHE)
    if snapshot_dir(source, hub_cache).is_dir():
        return hub_cache, f"{reach.problem()}: reading {describe_source(source)} from the hub cache {hub_cache}"
    raise DataError(
        f"cannot load {describe_source(source)}: {reach.problem()} and the hub cache {hub_cache} holds no "
        f"copy. Without network access, fetch it elsewhere with: {fetch_command(source, Path('<DIR>') / source.repo)} "
        f"and pass --data-root (or set {DATA_ROOT_ENV})."
    )


def load_source(source: Source, data_root: Path | None, required_columns: tuple[str, ...] = ()) -> Any:
    """A `datasets.Dataset` for one source, with its hub features; raises DataError with the fix."""
    import datasets

    datasets.disable_progress_bars()  # the runner shows its own progress; keep the terminal readable
    data_root = reading_root(source, data_root)
    with library_logs_silenced():  # each failure below becomes one line naming the file and the fix
        dataset = _load_checked(source, data_root)
    missing = [c for c in required_columns if c not in dataset.column_names]
    if missing:
        raise DataError(
            f"dataset {source.repo} (config {source.config!r}, split {source.split!r}) lacks column(s) "
            f"{', '.join(missing)}; it has {', '.join(dataset.column_names)}. "
            f"Re-fetch the pinned revision with: {fetch_command(source, data_root / source.repo if data_root else '<dir>')}"
        )
    return dataset


def _load_checked(source: Source, data_root: Path | None) -> Any:
    """`datasets.load_dataset` of one split, every way it fails turned into a DataError with the fix."""
    import datasets

    reading, verified = _READING.get(), None
    if reading is not None:
        source = reading.check(source, data_root)  # may move a hub read to the resolved or locked commit
        verified = reading.reads[(source.repo, source.config, source.split)].provenance.content_hash
    local = snapshot_dir(source, data_root) if data_root is not None else None
    target = data_root / source.repo if data_root is not None else Path("<DIR>") / source.repo
    if local is not None and data_root is not None:
        path, revision, cache_dir = str(local), None, _local_cache_dir(source, data_root, verified)
    else:
        path, revision, cache_dir = source.repo, source.revision, None
    try:
        dataset = datasets.load_dataset(
            path, source.config, split=source.split, revision=revision, cache_dir=cache_dir
        )
    except (ValueError, datasets.exceptions.DatasetGenerationError) as err:
        # A truncated file reads as an unknown split (pyarrow's error is a ValueError) or as a failed
        # generation: look at the files before saying which.
        broken = _broken_files_message(source, local) if local is not None else None
        if broken:
            raise DataError(f"{broken}. Re-fetch it with: {fetch_command(source, target)}") from err
        if isinstance(err, datasets.exceptions.DatasetGenerationError):
            cause = err.__cause__ or err
            raise DataError(
                f"cannot build {describe_source(source)} from {local or 'the hub'}: {cause}. "
                f"Re-fetch it with: {fetch_command(source, target)}"
            ) from err
        where = f"{local}" if local is not None else f"the hub repo {source.repo}"
        raise DataError(
            f"dataset {source.repo} (config {source.config!r}) has no split {source.split!r} at {where}: {err}. "
            f"Re-fetch it with: {fetch_command(source, target)}"
        ) from err
    except (FileNotFoundError, ConnectionError, OSError) as err:
        raise DataError(
            f"cannot load dataset {source.repo} (config {source.config!r}, split {source.split!r}): {err}. "
            f"Without network access, fetch it elsewhere with: {fetch_command(source, target)} "
            f"and pass --data-root (or set {DATA_ROOT_ENV})."
        ) from err
    if dataset.num_rows == 0:
        raise DataError(f"{describe_source(source)} has no rows at {local or 'the hub'}; the snapshot is "
                        f"incomplete or of another revision. Re-fetch it with: {fetch_command(source, target)}")
    return dataset


def _broken_files_message(source: Source, local: Path) -> str | None:
    """'corrupt file X ...' or '... has no rows' when the split's files say so; None otherwise."""
    try:
        files = [Path(file) for file in _split_files(str(local), source, revision=None)]
    except Exception:  # noqa: BLE001 - only a diagnosis; the caller reports the original error
        files = sorted(local.rglob("*.parquet"))
    found = corrupt_file(files)
    if found is not None:
        return f"corrupt file {found[0]} of {describe_source(source)} ({found[1]})"
    if total_rows(files) == 0:
        return f"{describe_source(source)} has no rows in {local}; the snapshot is incomplete or of another revision"
    return None


def source_data_files(source: Source, data_root: Path | None) -> list[str]:
    """The files `datasets` reads for this split: local paths, or `hf://` URLs that carry the commit."""

    path = str(snapshot_dir(source, data_root)) if data_root is not None else source.repo
    return _split_files(path, source, revision=None if data_root is not None else source.revision)


def _split_files(path: str, source: Source, revision: str | None) -> list[str]:
    import datasets

    builder = datasets.load_dataset_builder(path, source.config, revision=revision)
    files = (builder.config.data_files or {}).get(source.split)
    return [str(file) for file in files] if files else []


def source_provenance(source: Source, data_root: Path | None, cache: FileHashCache | None = None) -> Provenance:
    """The commit and content hash of the files one split is read from (`unknown` where unknowable)."""
    try:
        data_root = _locate(source, data_root)[0]  # the hub cache when the hub does not answer
        files = source_data_files(source, data_root)
    except Exception as error:  # noqa: BLE001 (loading reports its own error; here only record why)
        return Provenance(note=f"data files not resolvable: {error}")
    if data_root is None:
        return hub_files_provenance(files)
    return directory_provenance(snapshot_dir(source, data_root), [Path(file) for file in files], cache)


# --- what a run reads, checked against its pins ------------------------------------------------------

def describe_source(source: Source) -> str:
    return f"dataset {source.repo} (config {source.config!r}, split {source.split!r})"


@dataclass
class SourceRead:
    """One split as read: its provenance and whether a pin (lock or the task's commit) confirmed it."""

    source: Source
    provenance: Provenance
    pinned: bool

    def to_json(self) -> dict[str, Any]:
        return {**self.source.to_json(), "provenance": self.provenance.to_json(), "pinned": self.pinned}


@dataclass
class DataReading:
    """The pins one run's data loading holds to, and what each split turned out to be.

    Active around `Task.load_docs` through `reading(...)`, so every split a task loads (GQA's two
    configs included) is resolved, checked and recorded without tasks passing anything along.
    """

    lock: Lock | None = None
    require_pinned: bool = False
    task: str | None = None  # the task being loaded, for messages
    hash_cache: FileHashCache | None = None
    reads: dict[tuple[str, str | None, str], SourceRead] = field(default_factory=dict)

    def record(self, source: Source) -> dict[str, Any]:
        """The results.json entry of one source: as asked, plus what was read (unknown if never read)."""
        read = self.reads.get((source.repo, source.config, source.split))
        return read.to_json() if read else SourceRead(source, Provenance(note="not read"), False).to_json()

    def check(self, source: Source, data_root: Path | None) -> Source:
        """The source to load (a hub read moves to the resolved commit); DataError on drift."""
        where = data_root / source.repo if data_root is not None else Path("<DIR>") / source.repo
        locked = self.lock.dataset(source.repo, source.config, source.split) if self.lock else None
        relock = f"eagle-eval lock --tasks {self.task or '<tasks>'}" + (f" --data-root {data_root}" if data_root else "")
        if self.lock is not None and locked is None:
            raise DataError(f"{describe_source(source)} is not in the lock file {self.lock.path}; add it with: {relock}")
        target = source
        if data_root is not None and locked is not None and is_commit(locked.commit):
            target = replace(source, revision=locked.commit)  # selects the locked snapshot in a hub cache
        if data_root is None and locked is not None:
            if not is_commit(locked.commit):
                raise DataError(f"the lock file {self.lock.path} has no commit for {describe_source(source)}, so it "  # type: ignore[union-attr]
                                f"cannot be read from the hub at a fixed revision; pass --data-root with the locked snapshot")
            target = replace(source, revision=locked.commit)
        found = source_provenance(target, data_root, self.hash_cache)
        if data_root is None and is_commit(found.commit):
            target = replace(target, revision=found.commit)  # load exactly the commit recorded
        if locked is not None:
            problem = drift(locked.commit, locked.content_hash, found)
            if problem:
                raise DataError(f"{describe_source(source)} differs from the lock file {self.lock.path}: {problem}. "  # type: ignore[union-attr]
                                f"{_restore_locked(source, locked, where)}, or re-lock on purpose with: {relock}")
            pinned = True
        else:
            expected = source.revision if is_commit(source.revision) else None
            if expected and found.commit not in (expected, UNKNOWN):
                raise DataError(f"{describe_source(source)} is at commit {found.commit}, but the task pins "
                                f"{expected}. Fetch the pinned revision with: {fetch_command(source, where)}")
            pinned = expected is not None and found.commit == expected
        if self.require_pinned and not pinned:
            raise DataError(f"--require-pinned: {describe_source(source)} is read at revision {source.revision!r} "
                            f"(commit {found.commit}), which no lock or commit pins. Write a lock with: {relock} "
                            "and run with --lock FILE")
        self.reads[(source.repo, source.config, source.split)] = SourceRead(source, found, pinned)
        return target


def _restore_locked(source: Source, locked: LockedDataset, where: Path) -> str:
    """How to get back what the lock holds: the download of its commit, or, for a snapshot locked by its
    bytes alone (no download metadata), the files themselves, since no `--revision` names them."""
    if is_commit(locked.commit):
        return f"Fetch the locked revision with: {fetch_command(replace(source, revision=locked.commit), where)}"
    return (f"The lock names no commit for it, only the content hash {locked.content_hash} of "
            f"{', '.join(locked.files) or 'its files'}, so no download can fetch it: restore those files under {where}")


_READING: ContextVar[DataReading | None] = ContextVar("eagle_eval_data_reading", default=None)


@contextmanager
def reading(state: DataReading) -> Iterator[DataReading]:
    """Check and record every split loaded inside the block against `state`'s pins."""
    token = _READING.set(state)
    try:
        yield state
    finally:
        _READING.reset(token)
