"""Where a model's weights came from, and what that place holds now, told without loading them.

After a load, `weights_source` says where the adapter read its weights: a checkpoint folder
(`--model-path`, or the folder an adapter reports, such as a tiny preset's), a hub revision (a hub
id the adapter resolved into the hub cache), or a replayed predictions file. A later launch asks
`source_identity` what that place holds now, cheaply and before any model loads:

- a folder: `checkpoint_fingerprint` (small files by SHA-256, weight files by size, mtime and
  safetensors header), the identity the sweep planner checks too;
- a hub revision: the commit its refs name in the hub cache, confirmed with the hub when it answers
  (as a loader resolves it: a `main` that moved on is another model), and the fingerprint of that
  commit's snapshot folder;
- predictions: the SHA-256 of every predictions file's contents.

None when it cannot be known (a folder gone, a revision not in the hub cache, a model that reads no
weights from anywhere nameable, such as an API model): the caller then loads the model.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eagle_eval.core.records import ModelInfo
from eagle_eval.provenance.identity import checkpoint_directory, checkpoint_fingerprint
from eagle_eval.provenance.revisions import hub_cache_commit, hub_commit, is_commit

KINDS = ("folder", "hub", "predictions")


@dataclass(frozen=True)
class WeightsSource:
    """A place weights (or replayed predictions) are read from: `location` is a folder, a hub id or a
    predictions path; `revision` the hub revision asked for (hub only)."""

    kind: str
    location: str
    revision: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> WeightsSource | None:
        """The source a record names, or None when it is not one."""
        if not isinstance(data, dict) or data.get("kind") not in KINDS or not isinstance(data.get("location"), str):
            return None
        revision = data.get("revision")
        return cls(data["kind"], data["location"], revision if isinstance(revision, str) else None)


def weights_source(info: ModelInfo, model_path: str | None, predictions: str | Path | None) -> WeightsSource | None:
    """Where the adapter behind `info` read its weights, or None when no later launch could find them."""
    directory = checkpoint_directory(info, model_path)
    if directory is not None and (model_path is not None or hub_cache_commit(directory) is None):
        return WeightsSource("folder", str(directory))
    if info.hub_id:  # read from the hub cache: the revision names the snapshot
        return WeightsSource("hub", info.hub_id, info.revision)
    if directory is None and predictions and info.extra.get("predictions"):  # the replay adapter
        return WeightsSource("predictions", str(Path(predictions).expanduser().resolve()))
    return None


def source_identity(source: WeightsSource, confirm_on_hub: bool = False) -> str | None:
    """What `source` holds now, or None when that cannot be known without loading.

    `confirm_on_hub`: a hub revision that is not a commit is also resolved on the hub (when it
    answers), so a branch that moved on since the cache was filled is not taken for the old commit.
    """
    try:
        if source.kind == "folder":
            folder = Path(source.location)
            return checkpoint_fingerprint(folder) if folder.is_dir() else None
        if source.kind == "predictions":
            return _predictions_hash(Path(source.location))
        if source.kind == "hub":
            return _hub_identity(source, confirm_on_hub)
    except OSError:
        return None
    return None


def _hub_identity(source: WeightsSource, confirm_on_hub: bool) -> str | None:
    from huggingface_hub import constants
    from huggingface_hub.file_download import repo_folder_name

    repo = Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id=source.location, repo_type="model")
    revision = source.revision or "main"
    if is_commit(revision):
        commit = revision
    else:
        ref = repo / "refs" / revision
        commit = ref.read_text().strip() if ref.is_file() else ""
        if not is_commit(commit):
            return None
        if confirm_on_hub and hub_commit(source.location, revision, "model")[0] != commit:
            return None
    snapshot = repo / "snapshots" / commit
    return f"hub:{commit}:{checkpoint_fingerprint(snapshot)}" if snapshot.is_dir() else None


def _predictions_hash(path: Path) -> str | None:
    files = [path] if path.is_file() else sorted(path.rglob("*.jsonl")) if path.is_dir() else []
    if not files:
        return None
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(path).as_posix().encode() if file != path else b"")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return "predictions:" + digest.hexdigest()[:16]
