"""One launch at a time per run directory: an OS file lock held for the whole run.

Two launches of one command on one directory (a requeued job overlapping the old one) would generate
every sample twice and, under torchrun, fold each other's rank files away. So the first launch takes
an exclusive `fcntl.flock` on `<run-dir>/run.lock` and keeps it until it has written results.json;
under torchrun rank 0 takes it for the whole launch and tells the other ranks whether it got it.
The lock file names its holder (host, pid, launch id, start time). A second launch waits up to
`EAGLE_EVAL_LOCK_WAIT_S` seconds (default 0) and then stops with exit 2, naming the holder.

The kernel drops the lock when the holding process dies, however it dies, so a lock left by a
`kill -9`ed job never blocks: what the file still says about a dead holder is ignored. A hand-written
lock would need pid checks and timeouts that cannot tell a dead node from a slow one; flock works on
local filesystems and, on Linux, on NFS (the client maps it to a POSIX lock the server keeps).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from eagle_eval.core.output_files import writing
from eagle_eval.run.log import RUN_LOG_FILENAME

LOCK_FILENAME = "run.lock"
WAIT_ENV = "EAGLE_EVAL_LOCK_WAIT_S"
_POLL_S = 0.2


class RunDirBusyError(RuntimeError):
    """Another live launch holds the run directory; the message names it and what to do."""


@dataclass(frozen=True)
class Holder:
    """Who holds a run directory. `launch` also names the launch's rank files."""

    host: str
    pid: int
    launch: str
    started_at: str

    def describe(self) -> str:
        return f"host {self.host} pid {self.pid} (launch {self.launch}, since {self.started_at})"


def new_holder() -> Holder:
    return Holder(
        host=socket.gethostname(),
        pid=os.getpid(),
        launch=f"{uuid.uuid4().hex[:8]}",
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def wait_from_env(environ: Mapping[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    raw = env.get(WAIT_ENV, "").strip()
    try:
        seconds = float(raw) if raw else 0.0
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also nan, which passes a plain `< 0` test
        raise ValueError(f"{WAIT_ENV}={raw!r} must be a number of seconds, 0 or more")
    return seconds


class RunDirLock:
    """An exclusive lock on a run directory: `acquire()` (waits up to `wait_s`), `release()`."""

    def __init__(self, run_dir: Path, wait_s: float = 0.0, holder: Holder | None = None) -> None:
        self.path = Path(run_dir) / LOCK_FILENAME
        self.wait_s = wait_s
        self.holder = holder or new_holder()
        self._handle: IO[str] | None = None

    def acquire(self) -> RunDirLock:
        with writing(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    other = read_holder(self.path)
                    handle.close()
                    raise RunDirBusyError(self._busy_message(other)) from None
                time.sleep(_POLL_S)
        try:
            with writing(self.path):
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(asdict(self.holder)) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError:
            handle.close()  # closing releases the lock taken above
            raise
        self._handle = handle
        return self

    def release(self) -> None:
        """Unlock; the file stays (deleting it would let a waiting launch lock an orphaned inode)."""
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RunDirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _busy_message(self, other: Holder | None) -> str:
        who = other.describe() if other is not None else "another launch (it has not named itself yet)"
        waited = f" after waiting {self.wait_s:g} s" if self.wait_s else ""
        return (
            f"run directory {self.path.parent} is in use by {who}{waited}; wait for it to finish (or set "
            f"{WAIT_ENV}=SECONDS to wait), or pick another --run-id or --output-dir"
        )


def refuse_if_busy(run_dir: Path) -> None:
    """Raise RunDirBusyError at once when a live launch holds `run_dir` and this one would not wait for it.

    A look, not the lock: `own_run_dir` still takes it. Touches nothing when the folder or its lock file
    is not there yet.
    """
    path = Path(run_dir) / LOCK_FILENAME
    try:
        if wait_from_env() > 0 or not path.is_file():
            return
    except ValueError:
        return  # a malformed wait: taking the lock says so
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, which drops a lock it took
    except OSError:
        return  # unreadable: taking the lock later says what is wrong
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunDirBusyError(RunDirLock(run_dir)._busy_message(read_holder(path))) from None


@contextmanager
def own_run_dir(run_dir: Path, is_main: bool, group: Any) -> Iterator[str]:
    """Hold `run_dir` for this launch; yields the launch id every rank uses to name its rank files.

    Rank 0 (or the single process) takes the lock and broadcasts the outcome through `group` (an
    eagle_eval.run.distributed.ProcessGroup), so when the directory is busy every rank stops with the
    same message instead of the others waiting at a barrier for a rank 0 that left.
    """
    lock: RunDirLock | None = None
    outcome: tuple[str, str]
    created = _first_missing(Path(run_dir))  # the folders this launch makes, from the top one down
    if is_main:
        try:
            lock = RunDirLock(run_dir, wait_from_env()).acquire()
            outcome = ("ok", lock.holder.launch)
        except (RunDirBusyError, ValueError) as err:
            outcome = ("busy", str(err))
    else:
        outcome = ("", "")
    status, detail = group.broadcast(outcome)
    if status != "ok":
        raise RunDirBusyError(detail)
    try:
        yield detail
    except BaseException:
        if lock is not None and created is not None:
            remove_if_only_lock(Path(run_dir), created)
        raise
    finally:
        if lock is not None:
            lock.release()


# What a launch that stopped before producing anything leaves behind (its log says only that it began).
_DEBRIS = frozenset({LOCK_FILENAME, RUN_LOG_FILENAME})


def _first_missing(folder: Path) -> Path | None:
    """The topmost of `folder` and its parents that does not exist yet; None when `folder` exists."""
    missing = None
    while not folder.exists() and folder != folder.parent:
        missing, folder = folder, folder.parent
    return missing


def remove_if_only_lock(run_dir: Path, created: Path) -> None:
    """Remove a run folder this launch created (and the empty folders above it up to `created`) when it
    holds nothing but its lock and log: a launch that failed before its first sample leaves no folder
    for `table runs/*/` to stumble on."""
    try:
        names = {entry.name for entry in run_dir.iterdir()}
        if not names <= _DEBRIS:
            return
        for name in names:
            (run_dir / name).unlink()
        folder = run_dir
        while True:
            folder.rmdir()  # fails, and stops, on a folder something else wrote into meanwhile
            if folder == created or folder.parent == folder:
                return
            folder = folder.parent
    except OSError:
        pass  # not empty after all, or not ours to remove: leave it


def read_holder(path: Path) -> Holder | None:
    """The holder a lock file names, or None while it is being written."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return Holder(str(data["host"]), int(data["pid"]), str(data["launch"]), str(data["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


__all__ = [
    "LOCK_FILENAME",
    "WAIT_ENV",
    "Holder",
    "RunDirBusyError",
    "RunDirLock",
    "own_run_dir",
    "read_holder",
    "refuse_if_busy",
    "remove_if_only_lock",
    "wait_from_env",
]
