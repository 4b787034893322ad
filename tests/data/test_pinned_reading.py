"""Data loading held to a lock or to the task's commit, on snapshots laid out as `--local-dir` leaves them."""

from __future__ import annotations

import json

import datasets
import pytest

from eagle_eval.data.fixtures.hub_snapshot import mark_local_dir_download, write_snapshot
from eagle_eval.data.loading import DataError, DataReading, Source, load_source, reading, source_provenance
from eagle_eval.provenance.lockfile import (
    Lock,
    LockedDataset,
    LockError,
    drift,
    locked_dataset,
    read_lock,
    write_lock,
)
from eagle_eval.provenance.revisions import UNKNOWN, Provenance

COMMIT_A = "a" * 40
COMMIT_B = "b" * 40
COMMIT_C = "c" * 40
REPO = "lmms-lab/toyset"
SOURCE = Source(REPO, "default", "validation", "main")
SPLIT_FILE = "data/default/validation-00000-of-00001.parquet"


def _snapshot(root, answers=("x", "y"), commit=COMMIT_A):
    split = datasets.Dataset.from_dict({"question": ["q0", "q1"], "answer": list(answers)})
    repo_dir = write_snapshot(root, REPO, {"default": {"validation": split}})
    if commit:
        mark_local_dir_download(repo_dir, commit)
    return repo_dir


def _lock_for(root, source=SOURCE) -> Lock:
    return Lock(datasets=[locked_dataset(source, source_provenance(source, root), ("toy",))], path=root / "x.lock.json")


def test_a_matching_lock_loads_and_records_a_pinned_read(tmp_path):
    _snapshot(tmp_path / "root")
    state = DataReading(lock=_lock_for(tmp_path / "root"))
    with reading(state):
        rows = load_source(SOURCE, tmp_path / "root")
    assert rows["answer"] == ["x", "y"]
    record = state.record(SOURCE)
    assert record["pinned"] is True and record["revision"] == "main"
    assert record["provenance"]["commit"] == COMMIT_A and record["provenance"]["content_hash"].startswith("sha256:")


def test_a_parquet_changed_under_the_same_commit_fails_the_lock(tmp_path):
    repo_dir = _snapshot(tmp_path / "root")
    lock = _lock_for(tmp_path / "root")
    # Re-fetched "at the same commit", but the bytes differ (the metadata is rewritten to match).
    _snapshot(tmp_path / "root", answers=("x", "changed"))
    assert (repo_dir / ".cache/huggingface/download").is_dir()
    with reading(DataReading(lock=lock)), pytest.raises(DataError) as error:
        load_source(SOURCE, tmp_path / "root")
    message = str(error.value)
    assert "differs from the lock file" in message and "content" in message and REPO in message
    assert "hf download" in message and COMMIT_A in message


def test_a_different_commit_fails_the_lock(tmp_path):
    _snapshot(tmp_path / "root")
    lock = _lock_for(tmp_path / "root")
    _snapshot(tmp_path / "root", commit=COMMIT_B)
    with reading(DataReading(lock=lock)), pytest.raises(DataError, match=f"commit {COMMIT_B} read, {COMMIT_A} locked"):
        load_source(SOURCE, tmp_path / "root")


def test_a_source_missing_from_the_lock_is_an_error(tmp_path):
    _snapshot(tmp_path / "root")
    with reading(DataReading(lock=Lock(path=tmp_path / "l.json"), task="toy")), pytest.raises(
            DataError, match="not in the lock file .*eagle-eval lock --tasks toy"):
        load_source(SOURCE, tmp_path / "root")


def test_require_pinned_refuses_a_main_read_and_accepts_a_locked_one(tmp_path):
    _snapshot(tmp_path / "root")
    with reading(DataReading(require_pinned=True)), pytest.raises(DataError, match="--require-pinned: .*'main'"):
        load_source(SOURCE, tmp_path / "root")
    with reading(DataReading(lock=_lock_for(tmp_path / "root"), require_pinned=True)):
        assert len(load_source(SOURCE, tmp_path / "root")) == 2


def test_without_a_lock_main_is_recorded_unpinned_with_its_resolved_commit(tmp_path):
    _snapshot(tmp_path / "root")
    state = DataReading()
    with reading(state):
        load_source(SOURCE, tmp_path / "root")
    record = state.record(SOURCE)
    assert record["pinned"] is False and record["provenance"]["commit"] == COMMIT_A


def test_a_task_pinned_commit_is_checked_against_the_snapshot(tmp_path):
    _snapshot(tmp_path / "root", commit=COMMIT_B)
    pinned_source = Source(REPO, "default", "validation", COMMIT_A)
    with reading(DataReading()), pytest.raises(DataError, match=f"at commit {COMMIT_B}, but the task pins {COMMIT_A}"):
        load_source(pinned_source, tmp_path / "root")
    _snapshot(tmp_path / "root", commit=COMMIT_A)
    state = DataReading()
    with reading(state):
        load_source(pinned_source, tmp_path / "root")
    assert state.record(pinned_source)["pinned"] is True


def _on_the_hub(hub_server, tmp_path, answers, commit, refs=("main",), **kwargs):
    """REPO on the local hub at `commit` (each of `refs` pointing to it), its one split answering `answers`."""
    split = datasets.Dataset.from_dict({"question": ["q0", "q1"], "answer": list(answers)})
    snapshot = write_snapshot(tmp_path / commit, REPO, {"default": {"validation": split}})
    hub_server.add_snapshot(snapshot, REPO, commit, refs=refs, **kwargs)
    return snapshot


def _revisions_asked(hub_server) -> set[str]:
    return {r.revision for r in hub_server.requests if r.repo == REPO}


def test_a_locked_hub_read_asks_the_hub_for_the_locked_commit(hub_server, tmp_path):
    _on_the_hub(hub_server, tmp_path, ("old", "old"), COMMIT_B, refs=())
    _on_the_hub(hub_server, tmp_path, ("new", "new"), COMMIT_A)  # main has moved on since the lock
    lock = Lock(datasets=[LockedDataset(REPO, "default", "validation", "main", COMMIT_B)], path=tmp_path / "l")
    state = DataReading(lock=lock)
    with reading(state):
        assert load_source(SOURCE, None)["answer"] == ["old", "old"]
    assert _revisions_asked(hub_server) == {COMMIT_B}  # never `main`
    assert {(r.method, r.file) for r in hub_server.of("resolve")} >= {("HEAD", SPLIT_FILE), ("HEAD", "README.md")}
    record = state.record(SOURCE)
    assert record["pinned"] is True and record["revision"] == "main" and record["provenance"]["commit"] == COMMIT_B


def test_bytes_replaced_on_the_hub_under_the_locked_commit_are_refused(hub_server, tmp_path):
    _on_the_hub(hub_server, tmp_path, ("old", "old"), COMMIT_B, refs=())
    locked = source_provenance(Source(REPO, "default", "validation", COMMIT_B), None)
    # Re-uploaded under the locked commit's name: the lock's content hash catches it.
    _on_the_hub(hub_server, tmp_path, ("changed", "old"), COMMIT_B, refs=())
    lock = Lock(datasets=[locked_dataset(SOURCE, locked, ("toy",))], path=tmp_path / "l")
    with reading(DataReading(lock=lock)), pytest.raises(DataError, match="differs from the lock file .*content"):
        load_source(SOURCE, None)
    assert _revisions_asked(hub_server) == {COMMIT_B}


def test_an_unlocked_hub_read_loads_the_commit_it_resolved_and_records_it(hub_server, tmp_path, monkeypatch):
    import eagle_eval.data.loading as data

    snapshot = _on_the_hub(hub_server, tmp_path, ("a", "a"), COMMIT_A)
    real = data.source_provenance

    def resolved_then_main_moves(source, root, cache=None):
        found = real(source, root, cache)  # the real resolution, against the hub
        _on_the_hub(hub_server, tmp_path, ("c", "c"), COMMIT_C)  # someone pushes before the rows are read
        return found

    monkeypatch.setattr(data, "source_provenance", resolved_then_main_moves)
    state = DataReading()
    with reading(state):
        assert load_source(SOURCE, None)["answer"] == ["a", "a"]  # not main's rows at load time
    assert _revisions_asked(hub_server) == {"main", COMMIT_A}
    assert {r.file for r in hub_server.of("resolve") if r.revision == "main"} == {"README.md"}  # only to resolve it
    record = state.record(SOURCE)
    assert record["revision"] == "main" and record["pinned"] is False
    assert record["provenance"]["commit"] == COMMIT_A
    assert record["provenance"]["content_hash"] == source_provenance(SOURCE, snapshot.parent.parent).content_hash


@pytest.mark.parametrize(("source", "gated", "reason"), [
    (Source("lmms-lab/absent", "default", "validation", "main"), False, "doesn't exist on the Hub"),
    (Source(REPO, "default", "validation", "v9"), False, "Revision 'v9' doesn't exist for dataset"),
    (Source(REPO, "default", "validation", COMMIT_B), False, f"Revision '{COMMIT_B}' doesn't exist for dataset"),
    (SOURCE, True, "is a gated dataset on the Hub"),
])
def test_a_split_the_hub_refuses_names_the_repo_the_reason_and_the_fetch_command(hub_server, tmp_path, source,
                                                                                  gated, reason):
    from eagle_eval.data.locking import build_lock

    _on_the_hub(hub_server, tmp_path, ("a", "a"), COMMIT_A, gated=gated)
    fetch = f"hf download --repo-type dataset {source.repo} --revision {source.revision}"
    with reading(DataReading()), pytest.raises(DataError) as error:
        load_source(source, None)
    message = str(error.value)
    assert message.startswith(f"cannot load dataset {source.repo} (config 'default', split 'validation'): ")
    assert reason in message and fetch in message and "--data-root" in message
    with pytest.raises(LockError) as error:
        build_lock([("toy", [source])], None, None)
    assert f"cannot lock: dataset {source.repo} " in str(error.value) and reason in str(error.value)
    assert fetch in str(error.value)
    assert _revisions_asked(hub_server) <= {source.revision}


def test_drift_needs_a_known_value_to_agree():
    found = Provenance(COMMIT_A, "sha256:" + "1" * 64, "hub")
    assert drift(COMMIT_A, UNKNOWN, found) is None
    assert drift(UNKNOWN, "sha256:" + "1" * 64, Provenance(UNKNOWN, "sha256:" + "1" * 64)) is None
    assert "neither" in drift(COMMIT_A, UNKNOWN, Provenance())
    assert "content" in drift(COMMIT_A, "sha256:" + "2" * 64, found)


def test_lock_files_round_trip_and_bad_ones_name_the_fix(tmp_path):
    lock = Lock(datasets=[LockedDataset(REPO, None, "test", "main", COMMIT_A, "sha256:" + "0" * 64, ("a",), ("t",))])
    write_lock(tmp_path / "ok.json", lock)
    back = read_lock(tmp_path / "ok.json")
    assert back.datasets == lock.datasets and back.dataset(REPO, None, "test") is not None
    (tmp_path / "bad.json").write_text(json.dumps({"lock_version": 1, "datasets": [{"repo": REPO, "split": "t",
                                                                                  "commit": "main"}]}))
    with pytest.raises(LockError, match="not a 40-hex commit"):
        read_lock(tmp_path / "bad.json")
    with pytest.raises(LockError, match="not found; write one with: eagle-eval lock"):
        read_lock(tmp_path / "missing.json")
    (tmp_path / "v9.json").write_text('{"lock_version": 9}')
    with pytest.raises(LockError, match="lock_version 9"):
        read_lock(tmp_path / "v9.json")


def test_build_lock_resolves_each_shared_split_once_and_refuses_the_unknowable(tmp_path):
    from eagle_eval.data.locking import build_lock

    _snapshot(tmp_path / "root")
    lock = build_lock([("toy", [SOURCE]), ("toy_variant", [SOURCE])], None, tmp_path / "root")
    (entry,) = lock.datasets
    assert entry.commit == COMMIT_A and entry.tasks == ("toy", "toy_variant") and entry.revision == "main"
    missing = Source("lmms-lab/absent", None, "test", "main")
    with pytest.raises(LockError, match="cannot lock: dataset lmms-lab/absent .*hf download"):
        build_lock([("toy", [SOURCE, missing])], None, tmp_path / "root")
    contradicted = Source(REPO, "default", "validation", COMMIT_B)
    with pytest.raises(LockError, match=f"at commit {COMMIT_A}, but the task pins {COMMIT_B}"):
        build_lock([("toy", [contradicted])], None, tmp_path / "root")


def test_a_hub_cache_as_data_root_reads_the_ref_and_a_lock_reads_its_own_commit(tmp_path):
    from eagle_eval.data.fixtures.hub_snapshot import write_hub_cache

    def split(answers):
        return {"default": {"validation": datasets.Dataset.from_dict({"question": ["q0", "q1"],
                                                                      "answer": list(answers)})}}

    cache = tmp_path / "hub"
    write_hub_cache(cache, REPO, split(("old", "old")), COMMIT_A, ref="main")
    locked = source_provenance(SOURCE, cache)
    assert (locked.commit, locked.commit_from) == (COMMIT_A, "hub cache")
    lock = Lock(datasets=[locked_dataset(SOURCE, locked, ("toy",))], path=tmp_path / "l.json")
    write_hub_cache(cache, REPO, split(("new", "new")), COMMIT_B, ref="main")  # main moved on
    assert load_source(SOURCE, cache)["answer"] == ["new", "new"]
    state = DataReading(lock=lock)
    with reading(state):
        assert load_source(SOURCE, cache)["answer"] == ["old", "old"]
    assert state.record(SOURCE)["provenance"]["commit"] == COMMIT_A
