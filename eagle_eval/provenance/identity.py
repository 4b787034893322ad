"""Which weights a run actually loaded, cheaply, so new weights never reuse old predictions.

A model's name, hub id, revision and dtype do not say which bytes were loaded: new weights saved over
the same `--model-path`, or `main` moving on the hub, keep all four. The sample fingerprint therefore
also carries a fingerprint of the checkpoint folder the adapter read (`--model-path`, or the hub
snapshot it resolved, reported as `ModelInfo.extra["checkpoint_dir"]` or `["source"]`):

- the resolved hub commit, when the folder is a hub-cache snapshot (`snapshots/<commit>`);
- every small file (config, generation config, tokenizer, weight index) by its SHA-256, through the
  stat-keyed cache of eagle_eval.provenance.hashes, so a re-run reads nothing again;
- every weight file by name, size and modification time, and for safetensors the SHA-256 of its
  header (tensor names, dtypes, shapes, offsets): reading gigabytes of weights on every start would
  cost minutes, while any rewrite of a weight file changes its mtime and usually its header.

The fingerprint also carries the device kind (cpu or cuda) the model ran on, since kernels differ.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eagle_eval.core.records import ModelInfo
from eagle_eval.provenance.checkpoint import weight_files_in
from eagle_eval.provenance.hashes import FileHashCache
from eagle_eval.provenance.revisions import UNKNOWN, Provenance, hub_cache_commit

_SMALL_FILE_LIMIT = 64 * 1024 * 1024  # config, tokenizer and index files; weights are far larger
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
_MAX_HEADER = 100 * 1024 * 1024  # safetensors caps its JSON header at 100 MB


@dataclass(frozen=True)
class LoadedWeights:
    """What results record about the checkpoint read: its folder, hub commit and fingerprint."""

    directory: str
    fingerprint: str
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"directory": self.directory, "commit": self.commit, "fingerprint": self.fingerprint}


def checkpoint_directory(info: ModelInfo, model_path: str | None) -> Path | None:
    """The local folder the weights came from: --model-path, or what the adapter says it read."""
    for candidate in (model_path, info.extra.get("checkpoint_dir"), info.extra.get("source")):
        if isinstance(candidate, str | Path) and Path(candidate).expanduser().is_dir():
            return Path(candidate).expanduser().resolve()
    return None


def loaded_weights(info: ModelInfo, model_path: str | None, cache: FileHashCache | None = None) -> LoadedWeights | None:
    """The identity of the weights behind `info`, or None for a model that reads no checkpoint folder."""
    directory = checkpoint_directory(info, model_path)
    if directory is None:
        return None
    return LoadedWeights(str(directory), checkpoint_fingerprint(directory, cache), hub_cache_commit(directory))


def checkpoint_fingerprint(directory: Path, cache: FileHashCache | None = None) -> str:
    """A hash over the folder's small files' contents and its weight files' size, mtime and header."""
    directory = Path(directory)
    cache = cache or FileHashCache()
    weights = {path.resolve() for path in weight_files_in(directory)}
    entries: list[list[Any]] = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and ".cache" not in p.relative_to(directory).parts):
        name = path.relative_to(directory).as_posix()
        real = path.resolve()  # hub-cache snapshots link into blobs/
        stat = real.stat()
        if real in weights or path.suffix in _WEIGHT_SUFFIXES or stat.st_size > _SMALL_FILE_LIMIT:
            entries.append([name, stat.st_size, stat.st_mtime_ns, _safetensors_header_hash(real)])
        else:
            entries.append([name, cache.sha256(real)])
    cache.save()
    return "ckpt:" + hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:16]


def _safetensors_header_hash(path: Path) -> str | None:
    if path.suffix != ".safetensors":
        return None
    try:
        with open(path, "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > _MAX_HEADER:
                return None
            return hashlib.sha256(handle.read(length)).hexdigest()[:16]
    except (OSError, struct.error):
        return None


def device_kind(device: str | None) -> str | None:
    """cuda:3 → cuda; the kind decides the kernels, the index does not."""
    return str(device).split(":", 1)[0] if device else None


def effective_model_fingerprint(
    info: ModelInfo, weights: LoadedWeights | None, provenance: Provenance | None = None
) -> str:
    """`ModelInfo.fingerprint()` joined with the loaded weights, their provenance and the device kind.

    `provenance` is what eagle_eval.run.pinning found for the weight files (commit, content hash of
    the bytes): when known it is part of the identity too, with no second pass over the files.
    """
    known = [value for value in (provenance.commit, provenance.content_hash) if value != UNKNOWN] if provenance else []
    extra = [weights.fingerprint if weights else None, weights.commit if weights else None, device_kind(info.device)]
    extra += known
    if extra == [None, None, None]:
        return info.fingerprint()
    payload = json.dumps([info.fingerprint(), *extra])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
