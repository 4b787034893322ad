"""Checkpoint commits and weight hashes from `--local-dir` downloads and the hub cache, and their checks."""

from __future__ import annotations

import hashlib
import json

import pytest

from eagle_eval.data.fixtures.hub_snapshot import mark_local_dir_download, write_hub_cache_files
from eagle_eval.provenance.checkpoint import (
    ModelPinError,
    check_model,
    checkpoint_provenance,
    hub_checkpoint_provenance,
    weight_files_in,
)
from eagle_eval.provenance.lockfile import Lock, LockedModel
from eagle_eval.provenance.revisions import UNKNOWN, Provenance

A, B = "a" * 40, "b" * 40
INDEX = {"metadata": {}, "weight_map": {"x.weight": "model-00001-of-00002.safetensors",
                                        "y.weight": "model-00002-of-00002.safetensors"}}
FILES = {
    "config.json": b"{}",
    "model.safetensors.index.json": json.dumps(INDEX).encode(),
    "model-00001-of-00002.safetensors": b"shard one",
    "model-00002-of-00002.safetensors": b"shard two",
    "extra/unused.safetensors": b"not named by the index",
}


def _expected(shards: dict[str, bytes]) -> str:
    lines = "".join(f"{name}\t{hashlib.sha256(data).hexdigest()}\n" for name, data in sorted(shards.items()))
    return "sha256:" + hashlib.sha256(lines.encode()).hexdigest()


SHARDS = {name: FILES[name] for name in INDEX["weight_map"].values()}


def test_a_local_dir_checkpoint_gives_its_commit_and_the_hash_of_the_indexed_shards(tmp_path):
    for name, data in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    mark_local_dir_download(tmp_path, A)
    assert [p.name for p in weight_files_in(tmp_path)] == sorted(SHARDS)
    found = checkpoint_provenance(tmp_path)
    assert (found.commit, found.commit_from) == (A, "local-dir metadata")
    assert found.content_hash == _expected(SHARDS)


def test_a_hub_cache_checkpoint_resolves_offline_from_refs_and_snapshots(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    write_hub_cache_files(tmp_path / "hub", "NVEagle/Eagle-X5-7B", FILES, B, ref="main")
    found = hub_checkpoint_provenance("NVEagle/Eagle-X5-7B", "main")
    assert (found.commit, found.commit_from, found.content_hash) == (B, "hub cache", _expected(SHARDS))
    assert hub_checkpoint_provenance("NVEagle/Eagle-X5-7B", "v9").commit == UNKNOWN


def test_a_folder_without_weights_has_no_content_hash(tmp_path):
    assert checkpoint_provenance(tmp_path).content_hash == UNKNOWN


def test_the_lock_check_of_a_checkpoint():
    found = Provenance(A, "sha256:" + "1" * 64, "hub cache")
    lock = Lock(models=[LockedModel("m", commit=A, content_hash="sha256:" + "1" * 64)])
    assert check_model("m", "main", found, lock, require_pinned=True) is True
    moved = Lock(models=[LockedModel("m", commit=B)])
    with pytest.raises(ModelPinError, match=f"model m differs from the lock file .*commit {A} read, {B} locked"):
        check_model("m", "main", found, moved, require_pinned=False)


def test_requested_commits_and_require_pinned():
    found = Provenance(A, UNKNOWN, "hub cache")
    assert check_model("m", A, found, None, require_pinned=True) is True
    assert check_model("m", "main", found, None, require_pinned=False) is False
    with pytest.raises(ModelPinError, match="--revision asks for"):
        check_model("m", B, found, None, require_pinned=False)
    with pytest.raises(ModelPinError, match="--require-pinned: model m"):
        check_model("m", "main", found, None, require_pinned=True)
    assert check_model("replay", None, None, None, require_pinned=True) is True  # reads no weights


def test_cache_only_lookup_never_asks_the_hub(tmp_path, monkeypatch):
    from huggingface_hub import HfApi, constants

    from eagle_eval.provenance.checkpoint import cached_checkpoint_provenance

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(HfApi, "repo_info", lambda *a, **k: pytest.fail("asked the hub"))
    write_hub_cache_files(tmp_path / "hub", "org/ckpt", FILES, A, ref="main")
    found = cached_checkpoint_provenance("org/ckpt", "main")
    assert (found.commit, found.content_hash) == (A, _expected(SHARDS))
    assert cached_checkpoint_provenance("org/absent", "main").note.endswith("not in the hub cache")
