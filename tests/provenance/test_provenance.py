"""The commit and content hash of what a run read, from snapshots laid out as the hub tools lay them out.

The `--local-dir` metadata is written by huggingface_hub's own writer (mark_local_dir_download); the
hub-cache layout is checked against huggingface_hub's own reader (scan_cache_dir, snapshot_download
with local_files_only), so the layouts are the real ones, not our idea of them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import datasets
import pytest

from eagle_eval.data.fixtures.hub_snapshot import mark_local_dir_download, write_hub_cache, write_snapshot
from eagle_eval.data.loading import Source, load_source, source_data_files, source_provenance
from eagle_eval.provenance import hashes as file_hashes
from eagle_eval.provenance import revisions as provenance
from eagle_eval.provenance.hashes import FileHashCache
from eagle_eval.provenance.revisions import (
    UNKNOWN,
    Provenance,
    directory_provenance,
    hub_commit,
    local_dir_commit,
)

COMMIT_A = "a" * 40
COMMIT_B = "b" * 40
REPO = "lmms-lab/toyset"


@pytest.fixture(autouse=True)
def _private_hash_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(file_hashes.HASH_CACHE_ENV, str(tmp_path / "hash-cache.json"))


def _configs(answers=("x", "y")) -> dict:
    split = datasets.Dataset.from_dict({"question": ["q0", "q1"], "answer": list(answers)})
    other = datasets.Dataset.from_dict({"question": ["other"], "answer": ["z"]})
    return {"default": {"validation": split, "test": other}}


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _expected_hash(directory: Path, relative: list[str]) -> str:
    lines = "".join(f"{name}\t{_sha(directory / name)}\n" for name in sorted(relative))
    return "sha256:" + hashlib.sha256(lines.encode()).hexdigest()


SOURCE = Source(REPO, "default", "validation", "main")
SPLIT_FILE = "data/default/validation-00000-of-00001.parquet"


def test_local_dir_download_metadata_gives_the_commit_and_hash_of_the_split_read(tmp_path):
    repo_dir = write_snapshot(tmp_path / "root", REPO, _configs())
    mark_local_dir_download(repo_dir, COMMIT_A)
    assert (repo_dir / ".cache/huggingface/download" / f"{SPLIT_FILE}.metadata").is_file()

    found = source_provenance(SOURCE, tmp_path / "root")

    assert found.commit == COMMIT_A and found.commit_from == "local-dir metadata"
    assert found.files == (SPLIT_FILE,)  # only the validation split, not the test split beside it
    assert found.content_hash == _expected_hash(repo_dir, [SPLIT_FILE])


def test_a_snapshot_without_metadata_is_unknown_never_the_requested_ref(tmp_path):
    write_snapshot(tmp_path / "root", REPO, _configs())
    found = source_provenance(SOURCE, tmp_path / "root")
    assert found.commit == UNKNOWN and found.commit != "main"
    assert "no download metadata" in found.note
    assert found.content_hash.startswith("sha256:")  # the bytes are still knowable


def test_a_file_modified_after_download_no_longer_counts_as_that_commit(tmp_path):
    repo_dir = write_snapshot(tmp_path / "root", REPO, _configs())
    mark_local_dir_download(repo_dir, COMMIT_A)
    later = os.stat(repo_dir / SPLIT_FILE).st_mtime + 60
    os.utime(repo_dir / SPLIT_FILE, (later, later))
    commit, note = local_dir_commit(repo_dir, [SPLIT_FILE])
    assert commit == UNKNOWN and "modified after" in note


def test_files_from_two_commits_are_a_mixture_with_no_commit(tmp_path):
    repo_dir = write_snapshot(tmp_path / "root", REPO, _configs())
    mark_local_dir_download(repo_dir, COMMIT_A)
    from huggingface_hub._local_folder import write_download_metadata

    write_download_metadata(repo_dir, "data/default/test-00000-of-00001.parquet", COMMIT_B, "etag")
    commit, note = local_dir_commit(repo_dir, [SPLIT_FILE, "data/default/test-00000-of-00001.parquet"])
    assert commit == UNKNOWN and COMMIT_A in note and COMMIT_B in note


def test_hub_cache_layout_is_read_by_huggingface_hub_and_by_us(tmp_path):
    from huggingface_hub import scan_cache_dir, snapshot_download

    cache = tmp_path / "hub"
    snapshot = write_hub_cache(cache, REPO, _configs(), COMMIT_A, ref="main")
    (repo_info,) = scan_cache_dir(cache).repos
    assert repo_info.repo_id == REPO and repo_info.repo_type == "dataset"
    assert {r.commit_hash for r in repo_info.revisions} == {COMMIT_A} and "main" in repo_info.refs
    resolved = snapshot_download(REPO, repo_type="dataset", revision="main", cache_dir=cache, local_files_only=True)
    assert Path(resolved) == snapshot

    files = [snapshot / SPLIT_FILE]
    found = directory_provenance(snapshot, files)
    assert found.commit == COMMIT_A and found.commit_from == "hub cache"
    assert found.content_hash == _expected_hash(snapshot, [SPLIT_FILE])
    assert datasets.load_dataset(str(snapshot), "default", split="validation")["answer"] == ["x", "y"]


def test_offline_hub_resolution_reads_the_ref_from_the_cache(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    cache = tmp_path / "hub"
    write_hub_cache(cache, REPO, _configs(), COMMIT_B, ref="main")
    assert hub_commit(REPO, "main", cache_dir=cache) == (COMMIT_B, "hub cache")
    assert hub_commit(REPO, "v2", cache_dir=cache) == (UNKNOWN, "none")  # a ref never resolved here
    assert hub_commit(REPO, COMMIT_A, cache_dir=cache) == (COMMIT_A, "requested commit")


def test_online_hub_resolution_asks_the_hub_and_an_unreachable_hub_falls_to_the_cache(tmp_path, monkeypatch):
    from huggingface_hub import HfApi, constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    asked = []

    class Info:
        sha = COMMIT_A

    def answering(self, repo_id, repo_type=None, revision=None, **_):
        asked.append((repo_id, repo_type, revision))
        return Info()

    monkeypatch.setattr(HfApi, "repo_info", answering)
    assert hub_commit(REPO, "main", cache_dir=tmp_path) == (COMMIT_A, "hub")
    assert asked == [(REPO, "dataset", "main")]

    def unreachable(self, *args, **kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(HfApi, "repo_info", unreachable)
    assert hub_commit(REPO, "main", cache_dir=tmp_path) == (UNKNOWN, "none")


def test_a_changed_parquet_under_the_same_revision_changes_the_hash(tmp_path):
    cache = tmp_path / "hub"
    snapshot = write_hub_cache(cache, REPO, _configs(("x", "y")), COMMIT_A)
    before = directory_provenance(snapshot, [snapshot / SPLIT_FILE])
    # The same commit folder, but the bytes behind it replaced (a re-upload copied over by hand).
    replaced = write_snapshot(tmp_path / "other", REPO, _configs(("x", "changed")))
    blob = (snapshot / SPLIT_FILE).resolve()
    blob.write_bytes((replaced / SPLIT_FILE).read_bytes())
    after = directory_provenance(snapshot, [snapshot / SPLIT_FILE])
    assert before.commit == after.commit == COMMIT_A
    assert before.content_hash != after.content_hash


def test_the_hash_cache_reuses_a_digest_until_size_or_mtime_change(tmp_path, monkeypatch):
    file = tmp_path / "shard.safetensors"
    file.write_bytes(b"weights-1")
    calls = []
    real = file_hashes.sha256_of_file
    monkeypatch.setattr(file_hashes, "sha256_of_file", lambda path: calls.append(path) or real(path))

    cache_path = tmp_path / "cache.json"
    first = FileHashCache(cache_path)
    assert first.sha256(file) == hashlib.sha256(b"weights-1").hexdigest()
    first.save()
    again = FileHashCache(cache_path)  # a later run, reading the cache file
    assert again.sha256(file) == hashlib.sha256(b"weights-1").hexdigest()
    assert len(calls) == 1

    file.write_bytes(b"weights-2")
    stamp = os.stat(file).st_mtime_ns + 10**9
    os.utime(file, ns=(stamp, stamp))
    assert again.sha256(file) == hashlib.sha256(b"weights-2").hexdigest()
    assert len(calls) == 2


def test_a_damaged_hash_cache_is_ignored(tmp_path):
    cache_path = tmp_path / "cache.json"
    cache_path.write_text("{not json")
    file = tmp_path / "f"
    file.write_bytes(b"abc")
    assert FileHashCache(cache_path).sha256(file) == hashlib.sha256(b"abc").hexdigest()


def test_hub_data_file_urls_carry_the_commit_and_lfs_digests_make_the_hash(monkeypatch):
    from huggingface_hub import HfApi

    class Lfs:
        def __init__(self, sha256):
            self.sha256 = sha256

    class RepoFile:
        def __init__(self, path, sha256):
            self.path, self.lfs = path, Lfs(sha256)

    monkeypatch.setattr(HfApi, "get_paths_info", lambda self, repo, paths, **_: [RepoFile(p, "1" * 64) for p in paths])
    url = f"hf://datasets/{REPO}@{COMMIT_A}/{SPLIT_FILE}"
    found = provenance.hub_files_provenance([url])
    expected = "sha256:" + hashlib.sha256(f"{SPLIT_FILE}\t{'1' * 64}\n".encode()).hexdigest()
    assert (found.commit, found.commit_from, found.content_hash) == (COMMIT_A, "hub", expected)
    assert provenance.hub_files_provenance([f"hf://datasets/{REPO}@main/{SPLIT_FILE}"]).commit == UNKNOWN


def test_data_files_are_the_ones_datasets_loads(tmp_path):
    write_snapshot(tmp_path / "root", REPO, _configs())
    files = source_data_files(SOURCE, tmp_path / "root")
    assert [Path(f).relative_to(tmp_path / "root" / REPO).as_posix() for f in files] == [SPLIT_FILE]
    assert len(load_source(SOURCE, tmp_path / "root")) == 2


def test_provenance_round_trips_through_json():
    record = Provenance(COMMIT_A, "sha256:" + "0" * 64, "hub", ("a.parquet",), None)
    assert Provenance.from_json(record.to_json()) == record
    assert Provenance.from_json({}).commit == UNKNOWN
