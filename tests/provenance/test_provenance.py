"""The commit and content hash of what a run read, from snapshots laid out as the hub tools lay them out.

The `--local-dir` metadata is written by huggingface_hub's own writer (mark_local_dir_download); the
hub-cache layout is checked against huggingface_hub's own reader (scan_cache_dir, snapshot_download
with local_files_only), so the layouts are the real ones, not our idea of them.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from urllib.parse import parse_qs

import datasets
import pytest

from eagle_eval.data.fixtures.hub_snapshot import (
    mark_local_dir_download,
    write_hub_cache,
    write_hub_cache_files,
    write_snapshot,
)
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
from tests.conftest import ROOT
from tests.hub_server import TOKEN, closed_port_url

COMMIT_A = "a" * 40
COMMIT_B = "b" * 40
REPO = "lmms-lab/toyset"
MODEL = "org/tiny-model"


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


def test_online_hub_resolution_asks_the_hub_and_an_unreachable_hub_falls_to_the_cache(hub_server, tmp_path,
                                                                                       monkeypatch):
    from huggingface_hub import constants

    hub_server.add_repo(REPO, {"README.md": b"old"}, COMMIT_B, refs=())
    hub_server.add_repo(REPO, {"README.md": b"new"}, COMMIT_A, refs=("main",))
    hub_server.add_repo(MODEL, {"config.json": b"{}"}, COMMIT_B, repo_type="model")
    assert hub_commit(REPO, "main", cache_dir=tmp_path) == (COMMIT_A, "hub")
    assert hub_commit(MODEL, None, "model", cache_dir=tmp_path) == (COMMIT_B, "hub")
    assert [(r.method, r.path, r.revision) for r in hub_server.of("info")] == [
        ("GET", f"/api/datasets/{REPO}/revision/main", "main"), ("GET", f"/api/models/{MODEL}/revision/main", "main")]
    assert hub_commit(REPO, COMMIT_B, cache_dir=tmp_path) == (COMMIT_B, "requested commit")  # nothing to ask
    assert len(hub_server.of("info")) == 2

    monkeypatch.setattr(constants, "ENDPOINT", closed_port_url())  # the hub refuses connections
    cache = tmp_path / "hub"
    assert hub_commit(REPO, "main", cache_dir=cache) == (UNKNOWN, "none")
    write_hub_cache(cache, REPO, _configs(), COMMIT_B, ref="main")
    assert hub_commit(REPO, "main", cache_dir=cache) == (COMMIT_B, "hub cache")


@pytest.mark.parametrize(("repo", "revision", "asked"), [
    ("lmms-lab/absent", "main", "a repo the hub does not have (404 RepoNotFound)"),
    (REPO, "v9", "a revision the repo does not have (404 RevisionNotFound)"),
])
def test_a_commit_the_hub_does_not_have_is_unknown_never_the_ref(hub_server, tmp_path, repo, revision, asked):
    hub_server.add_repo(REPO, {"README.md": b"x"}, COMMIT_A)
    assert hub_commit(repo, revision, cache_dir=tmp_path) == (UNKNOWN, "none"), asked
    (request,) = hub_server.of("info")
    assert (request.repo, request.revision) == (repo, revision)


def test_a_gated_repo_resolves_its_commit_since_the_hub_shows_its_info(hub_server, tmp_path):
    hub_server.add_repo(REPO, {"README.md": b"x"}, COMMIT_A, gated=True)
    assert hub_commit(REPO, "main", cache_dir=tmp_path) == (COMMIT_A, "hub")


def _hub_repo(hub_server, tmp_path, commit=COMMIT_A, **kwargs) -> Path:
    """REPO on the local hub at `commit`, with the files of a local snapshot of `_configs()` (returned)."""
    snapshot = write_snapshot(tmp_path / "snapshot", REPO, _configs())
    hub_server.add_snapshot(snapshot, REPO, commit, **kwargs)
    return snapshot


def test_hub_data_file_urls_carry_the_commit_and_lfs_digests_make_the_hash(hub_server, tmp_path):
    snapshot = _hub_repo(hub_server, tmp_path)
    found = provenance.hub_files_provenance([f"hf://datasets/{REPO}@{COMMIT_A}/{SPLIT_FILE}"])
    expected = "sha256:" + hashlib.sha256(f"{SPLIT_FILE}\t{_sha(snapshot / SPLIT_FILE)}\n".encode()).hexdigest()
    assert (found.commit, found.commit_from, found.content_hash, found.files) == (COMMIT_A, "hub", expected,
                                                                                   (SPLIT_FILE,))
    # The parquet is an LFS file: its digest comes from paths-info at the commit, nothing is downloaded.
    (asked,) = hub_server.requests
    assert (asked.method, asked.endpoint, asked.repo_type, asked.revision) == ("POST", "paths-info", "dataset", COMMIT_A)
    assert parse_qs(asked.body.decode())["paths"] == [SPLIT_FILE]
    # A ref is not a commit: unknown, and the hub is not asked.
    assert provenance.hub_files_provenance([f"hf://datasets/{REPO}@main/{SPLIT_FILE}"]).commit == UNKNOWN
    assert len(hub_server.requests) == 1


def test_a_file_outside_lfs_is_fetched_at_the_commit_and_the_hash_matches_a_local_download(hub_server):
    bundled = ROOT / "data" / "hub" / "lmms-lab" / "POPE"  # scripts/make_sample_data.py's snapshot
    hub_server.add_snapshot(bundled, "lmms-lab/POPE", COMMIT_A)
    hub_server.add_snapshot(bundled, "lmms-lab/POPE", COMMIT_B)  # main moves on; the bytes do not
    files = ["README.md", "data/default/test-00000-of-00001.parquet"]
    found = provenance.hub_files_provenance([f"hf://datasets/lmms-lab/POPE@{COMMIT_A}/{name}" for name in files])
    assert (found.commit, found.files) == (COMMIT_A, tuple(files))
    assert found.content_hash == directory_provenance(bundled, [bundled / name for name in files]).content_hash
    assert [(r.method, r.file) for r in hub_server.of("resolve")] == [("HEAD", "README.md"), ("GET", "README.md")]
    assert {r.revision for r in hub_server.requests if r.repo} == {COMMIT_A}


@pytest.mark.parametrize(("repo", "commit", "reason"), [
    ("lmms-lab/absent", COMMIT_A, "Repository Not Found"),
    (REPO, COMMIT_B, "Revision Not Found"),
])
def test_file_digests_the_hub_cannot_give_leave_the_commit_and_say_why(hub_server, tmp_path, repo, commit, reason):
    _hub_repo(hub_server, tmp_path)
    found = provenance.hub_files_provenance([f"hf://datasets/{repo}@{commit}/{SPLIT_FILE}"])
    assert (found.commit, found.content_hash) == (commit, UNKNOWN)
    assert found.note.startswith("content hash unavailable: ") and reason in found.note and repo in found.note


def test_a_gated_repo_lists_its_lfs_digests_but_not_the_bytes_of_other_files(hub_server, tmp_path):
    snapshot = _hub_repo(hub_server, tmp_path, gated=True)
    lfs_only = provenance.hub_files_provenance([f"hf://datasets/{REPO}@{COMMIT_A}/{SPLIT_FILE}"])
    assert lfs_only.content_hash == _expected_hash(snapshot, [SPLIT_FILE])
    with_readme = provenance.hub_files_provenance([f"hf://datasets/{REPO}@{COMMIT_A}/{p}" for p in (SPLIT_FILE,
                                                                                                  "README.md")])
    assert (with_readme.commit, with_readme.content_hash) == (COMMIT_A, UNKNOWN)
    assert "gated" in with_readme.note and REPO in with_readme.note
    (refused,) = {r.authorization for r in hub_server.of("resolve")}
    assert refused == f"Bearer {TOKEN}"  # the token was sent; the repo still refused it (403 GatedRepo)


def test_a_split_read_from_the_hub_records_the_commit_main_resolved_to(hub_server, tmp_path):
    snapshot = _hub_repo(hub_server, tmp_path)
    found = source_provenance(SOURCE, None)
    assert (found.commit, found.commit_from, found.files) == (COMMIT_A, "hub", (SPLIT_FILE,))
    assert found.content_hash == _expected_hash(snapshot, [SPLIT_FILE])  # the test split beside it is not read
    named = [r for r in hub_server.requests if r.repo]
    # `main` is asked for once, to resolve it (the README that holds the configs); the rest at its commit.
    assert [(r.method, r.file) for r in named if r.revision == "main"] == [("HEAD", "README.md"), ("GET", "README.md")]
    assert {r.revision for r in named if r.revision != "main"} == {COMMIT_A}


@pytest.mark.parametrize(("source", "gated", "reason"), [
    (Source("lmms-lab/absent", "default", "validation", "main"), False, "doesn't exist on the Hub"),
    (Source(REPO, "default", "validation", "v9"), False, "Revision 'v9' doesn't exist"),
    (SOURCE, True, "is a gated dataset on the Hub"),
])
def test_a_split_the_hub_refuses_is_unknown_with_the_hubs_reason(hub_server, tmp_path, source, gated, reason):
    _hub_repo(hub_server, tmp_path, gated=gated)
    found = source_provenance(source, None)
    assert (found.commit, found.content_hash) == (UNKNOWN, UNKNOWN)
    assert found.note.startswith("data files not resolvable: ") and reason in found.note and source.repo in found.note
    assert {r.revision for r in hub_server.requests if r.repo} == {source.revision}


def test_a_hub_checkpoint_is_resolved_and_hashed_without_downloading_its_weights(hub_server, tmp_path):
    from eagle_eval.provenance.checkpoint import checkpoint_provenance, hub_checkpoint_provenance

    shards = {"model-00001-of-00002.safetensors": b"weights one", "model-00002-of-00002.safetensors": b"weights two"}
    index = json.dumps({"weight_map": {"a.weight": "model-00001-of-00002.safetensors",
                                       "b.weight": "model-00002-of-00002.safetensors"}}).encode()
    files = {"config.json": b"{}", "model.safetensors.index.json": index, **shards}
    hub_server.add_repo(MODEL, files, COMMIT_A, repo_type="model")
    found = hub_checkpoint_provenance(MODEL, "main", FileHashCache(tmp_path / "hashes.json"))
    local = write_hub_cache_files(tmp_path / "local", MODEL, files, COMMIT_A)  # the same files, downloaded
    assert (found.commit, found.commit_from, found.files) == (COMMIT_A, "hub", tuple(sorted(shards)))
    assert found.content_hash == checkpoint_provenance(local).content_hash
    assert {r.file for r in hub_server.of("resolve")} == {"model.safetensors.index.json"}  # no shard fetched
    assert [(r.repo_type, r.revision) for r in hub_server.of("paths-info")] == [("model", COMMIT_A)]


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


def test_data_files_are_the_ones_datasets_loads(tmp_path):
    write_snapshot(tmp_path / "root", REPO, _configs())
    files = source_data_files(SOURCE, tmp_path / "root")
    assert [Path(f).relative_to(tmp_path / "root" / REPO).as_posix() for f in files] == [SPLIT_FILE]
    assert len(load_source(SOURCE, tmp_path / "root")) == 2


def test_provenance_round_trips_through_json():
    record = Provenance(COMMIT_A, "sha256:" + "0" * 64, "hub", ("a.parquet",), None)
    assert Provenance.from_json(record.to_json()) == record
    assert Provenance.from_json({}).commit == UNKNOWN
