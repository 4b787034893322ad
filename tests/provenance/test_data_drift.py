"""Deciding from two results files whether a task's runs read the same data."""

from __future__ import annotations

from eagle_eval.provenance.drift import read_identity, task_data_drift, unknown_sources

A, B = "a" * 40, "b" * 40
H1, H2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def record(commit="unknown", content="unknown", revision="main", repo="lmms-lab/set", split="test"):
    return {"repo": repo, "config": None, "split": split, "revision": revision,
            "provenance": {"commit": commit, "content_hash": content}, "pinned": False}


def test_same_hash_is_the_same_data_even_when_one_commit_is_unknown():
    assert task_data_drift("t", [record(A, H1)], [record("unknown", H1)]) == []


def test_a_different_hash_is_drift_even_at_the_same_commit():
    (found,) = task_data_drift("t", [record(A, H1)], [record(A, H2)])
    assert found.task == "t" and H1 in found.baseline and H2 in found.new
    assert "task t" in found.describe() and "lmms-lab/set test" in found.describe()


def test_different_commits_are_drift_when_no_hash_is_known():
    (found,) = task_data_drift("t", [record(A)], [record(B)])
    assert A in found.baseline and B in found.new


def test_nothing_known_is_not_refused_but_is_named():
    assert task_data_drift("t", [record()], [record(A, H1)]) == []
    assert unknown_sources([record()], [record(A, H1)]) == ["lmms-lab/set test"]


def test_a_mirror_with_the_same_bytes_is_the_same_data_and_other_bytes_are_drift():
    assert task_data_drift("t", [record(A, H1, repo="lmms-lab/set")], [record(B, H1, repo="mirror/set")]) == []
    drifts = task_data_drift("t", [record(A, H1, repo="lmms-lab/set")], [record(B, H2, repo="mirror/set")])
    assert {d.source for d in drifts} == {"lmms-lab/set test", "mirror/set test"}
    assert {"not read"} <= {d.baseline for d in drifts} | {d.new for d in drifts}


def test_legacy_records_compare_by_their_pinned_revision():
    legacy = {"repo": "r/s", "config": None, "split": "x", "revision": A}
    assert read_identity(legacy) == (A, "unknown")
    assert len(task_data_drift("t", [legacy], [{**legacy, "revision": B}])) == 1
    assert task_data_drift("t", [], [legacy]) == []  # a file without sources says nothing
