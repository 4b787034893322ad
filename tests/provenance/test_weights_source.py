"""Where weights came from, and what that place holds now, without loading them."""

from __future__ import annotations

from pathlib import Path

import pytest

from eagle_eval.core.records import ModelInfo
from eagle_eval.provenance import weights_source as module
from eagle_eval.provenance.weights_source import WeightsSource, source_identity, weights_source

OLD, NEW = "a" * 40, "b" * 40


def hub_snapshot(commit: str) -> Path:
    from huggingface_hub import constants

    repo = Path(constants.HF_HUB_CACHE) / "models--org--m"
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    (snapshot / "config.json").write_text(commit)
    return snapshot


def test_a_hub_revision_is_identified_by_the_commit_its_ref_names():
    hub_snapshot(OLD)
    source = WeightsSource("hub", "org/m", None)
    before = source_identity(source)
    assert before is not None and before.startswith(f"hub:{OLD}:")
    hub_snapshot(NEW)  # main moved on in the cache
    assert source_identity(source) not in (None, before)
    assert source_identity(WeightsSource("hub", "org/other", "main")) is None  # not in the cache


def test_a_branch_the_hub_moved_on_is_not_the_cached_commit(monkeypatch):
    hub_snapshot(OLD)
    source = WeightsSource("hub", "org/m", "main")
    monkeypatch.setattr(module, "hub_commit", lambda repo, revision, kind: (NEW, "hub"))
    assert source_identity(source, confirm_on_hub=True) is None
    monkeypatch.setattr(module, "hub_commit", lambda repo, revision, kind: (OLD, "hub cache"))
    assert source_identity(source, confirm_on_hub=True) is not None


@pytest.mark.parametrize(("info", "model_path", "predictions", "kind"), [
    (ModelInfo(name="m", extra={"checkpoint_dir": "FOLDER"}), None, None, "folder"),
    (ModelInfo(name="m", hub_id="org/m"), None, None, "hub"),
    (ModelInfo(name="replay", extra={"predictions": "p.jsonl"}), None, "p.jsonl", "predictions"),
    (ModelInfo(name="api", device="api"), None, None, None),  # an API model: nothing to find again
])
def test_where_the_weights_came_from(tmp_path, info, model_path, predictions, kind):
    if info.extra.get("checkpoint_dir") == "FOLDER":
        info = ModelInfo(name="m", extra={"checkpoint_dir": str(tmp_path)})
    found = weights_source(info, model_path, predictions)
    assert (found.kind if found else None) == kind


def test_a_hub_snapshot_given_as_model_path_is_a_folder(tmp_path):
    snapshot = hub_snapshot(OLD)
    info = ModelInfo(name="m", hub_id="org/m", extra={"checkpoint_dir": str(snapshot)})
    assert weights_source(info, str(snapshot), None) == WeightsSource("folder", str(snapshot.resolve()))
    assert weights_source(info, None, None) == WeightsSource("hub", "org/m", None)  # resolved from the hub id


def test_a_folder_that_is_gone_cannot_be_identified(tmp_path):
    assert source_identity(WeightsSource("folder", str(tmp_path / "gone"))) is None
    assert source_identity(WeightsSource("predictions", str(tmp_path / "gone.jsonl"))) is None
