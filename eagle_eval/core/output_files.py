"""Writing where the user asked: an unwritable folder found before any work, and a failed write that
names its file and the fix.

An OSError from `write()` or `fsync()` carries no file name ("[Errno 28] No space left on device"),
and one from the temporary file of an atomic write names a hidden file the user never asked for;
`writing(path)` puts the file the user knows into the error. `describe_os_error` turns any OSError
into the one line the CLI prints: what failed, on which path, and what to do about it.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RERUN = "then run the same command again: finished predictions are kept and a run resumes where it stopped"

TEMPORARY_INFIX = ".tmp-"  # write_text_atomic writes `.<name>.tmp-<pid>`, then renames it
_STALE_TEMPORARY = re.compile(r"^\..+\.tmp-\d+$")

_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM}


class OutputDirError(OSError):
    """An output folder that cannot be written, found before any data or model loads."""


@contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Re-raise an OSError raised inside the block as one naming `path` (its errno and subclass kept)."""
    try:
        yield
    except OSError as error:
        if error.filename is not None and Path(error.filename).name == Path(path).name:
            raise
        if error.errno is None:
            raise
        raise OSError(error.errno, error.strerror or os.strerror(error.errno), str(path)) from error


def check_writable_dir(folder: Path, what: str = "run folder", fix: str = "pass a writable --output-dir") -> None:
    """Refuse a folder (or its nearest existing parent) this process cannot create files in.

    Creating and removing a probe file is the test: `os.access` is true for root on a read-only
    mount and knows nothing of quotas.
    """
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputDirError(errno.ENOTDIR, f"cannot write the {what} {folder}: {existing} is a file, not a folder; {fix}")
    try:
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".eagle-eval-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        reason = error.strerror or str(error)
        raise OutputDirError(
            error.errno or errno.EACCES,
            f"cannot write the {what} {folder}: creating a file in {existing} fails ({reason}); {fix}",
        ) from None


def describe_os_error(error: OSError) -> str:
    """One line: what went wrong with which path, and the fix."""
    if isinstance(error, OutputDirError):
        return error.strerror or str(error)
    path = error.filename
    reason = error.strerror or str(error)
    if path is None:
        return f"{reason}" if error.errno not in _NO_SPACE else f"{reason}; free disk space, {RERUN}"
    if error.errno in _NO_SPACE:
        return f"cannot write {path}: {reason}; free disk space (or raise the quota), {RERUN}"
    if error.errno == errno.EROFS:
        return f"cannot write {path}: {reason}; choose a writable location (--output-dir), {RERUN}"
    if error.errno in _NOT_ALLOWED:
        return f"{path}: permission denied; make it accessible to this user or choose another path"
    if error.errno == errno.ENOENT:
        return f"{path}: no such file or folder; check the path"
    if error.errno == errno.EISDIR:
        return f"{path} is a folder; give a file"
    if error.errno == errno.ENOTDIR:
        return f"{path}: a part of this path is a file, not a folder; check the path"
    return f"{path}: {reason}"


def check_writable_file(path: Path, flag: str) -> None:
    """Refuse an output file path that is a folder, or whose folder cannot be written (before any work)."""
    path = Path(path)
    if path.is_dir():
        raise OutputDirError(errno.EISDIR, f"{flag} {path} is a folder; give a file path, e.g. {path / 'out.json'}")
    check_writable_dir(path.parent, what=f"folder of {flag}", fix=f"give {flag} a writable path")


def _temporary_path(path: Path) -> Path:
    return path.with_name(f".{path.name}{TEMPORARY_INFIX}{os.getpid()}")


def write_text_atomic(path: Path, text: str) -> None:
    tmp = _temporary_path(path)
    try:
        with writing(path):  # an error names the file asked for, not the hidden temporary
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Delete the temporary files killed atomic writes left under `directory` (not this process's own).

    Call it only while holding the run directory's lock (eagle_eval.run.ownership): then no other launch
    writes there, and every such file is litter from a process that died between write and rename.
    """
    if not directory.is_dir():
        return []
    own = f"{TEMPORARY_INFIX}{os.getpid()}"
    removed = []
    for path in directory.rglob(f".*{TEMPORARY_INFIX}*"):
        if _STALE_TEMPORARY.match(path.name) and not path.name.endswith(own) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return sorted(removed)
