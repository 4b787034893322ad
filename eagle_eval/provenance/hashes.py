"""SHA-256 of the data and weight files a run reads, remembered by path, size and mtime.

Written by hand because no library we use keeps a stat-keyed digest cache: `huggingface_hub` only
records the hub's etag next to a download and never re-hashes, and `datasets` fingerprints its own
Arrow cache, not the parquet it came from. A full paper set or a 7B checkpoint is tens of GB, so a
file is read once and its digest reused while its size and mtime are unchanged.

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


class FileHashCache:
    """{resolved path: (size, mtime_ns, sha256)} in one small JSON file; a stale entry is re-hashed."""

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
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return entry[2]
        digest = sha256_of_file(real)
        self._entries[key] = [stat.st_size, stat.st_mtime_ns, digest]
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
