"""SHA-256 of the data and weight files a run reads, remembered by path and the file's stat.

Written by hand because no library we use keeps a stat-keyed digest cache: `huggingface_hub` only
records the hub's etag next to a download and never re-hashes, and `datasets` fingerprints its own
Arrow cache, not the parquet it came from. A full paper set or a 7B checkpoint is tens of GB, so a
file is read once and its digest reused while its stat is unchanged.

The stat is keyed as git's index keys it: size, mtime, inode and ctime. Size and mtime alone let a
file patched in place and re-dated (`touch -r`) keep its old digest and pass a lock; ctime is set by
the kernel on every change, and no call sets it back, and a file replaced by another has a new inode.

The per-file digest is the plain SHA-256 of the bytes, the same number the hub stores as a file's LFS
oid, so a hash computed from a download matches one computed from the hub's own listing.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

HASH_CACHE_ENV = "EAGLE_EVAL_HASH_CACHE"


def default_cache_path() -> Path:
    if os.environ.get(HASH_CACHE_ENV):
        return Path(os.environ[HASH_CACHE_ENV]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser()
    return base / "eagle_eval" / "file-sha256.json"


def sha256_of_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def stat_key(stat: os.stat_result) -> list[int]:
    """What a digest is remembered by: size, mtime, inode and ctime (git's index checks the same)."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns]


class FileHashCache:
    """{resolved path: [size, mtime_ns, inode, ctime_ns, sha256]} in one small JSON file; a stale entry
    (any of these changed, or an entry of the older [size, mtime_ns, sha256] form) is re-hashed."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self._entries: dict[str, list] = {}
        self._dirty = False
        try:
            loaded = json.loads(self.path.read_text())
            if isinstance(loaded, dict):
                self._entries = loaded
        except (OSError, ValueError):
            self._entries = {}  # no cache yet, or a damaged one: it is only a cache, start afresh

    def sha256(self, path: Path) -> str:
        real = Path(path).resolve()  # hub-cache snapshots are symlinks into blobs/: key the blob
        stat = real.stat()
        key = str(real)
        entry = self._entries.get(key)
        if isinstance(entry, list) and len(entry) == 5 and entry[:4] == stat_key(stat):
            return entry[4]
        digest = sha256_of_file(real)
        self._entries[key] = [*stat_key(stat), digest]
        self._dirty = True
        return digest

    def save(self) -> None:
        """Write the cache atomically; a cache that cannot be written only costs a re-hash next time."""
        if not self._dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(handle, "w") as stream:
                json.dump(self._entries, stream)
            os.replace(temporary, self.path)
            self._dirty = False
        except OSError:
            pass


def combined_hash(digests: Mapping[str, str]) -> str:
    """One hash over {path in repo: sha256}: it changes when any file, name or the file set changes."""
    lines = "".join(f"{name}\t{digest}\n" for name, digest in sorted(digests.items()))
    return "sha256:" + hashlib.sha256(lines.encode()).hexdigest()
