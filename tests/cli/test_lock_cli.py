"""`eagle-eval lock`, `run --lock`, `run --require-pinned` and `compare` end to end, on a data root laid
out as `hf download --local-dir` leaves it (metadata written by huggingface_hub's own
writer) and a checkpoint folder likewise."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any, ClassVar

import datasets
import pytest

from eagle_eval.api import registry
from eagle_eval.api.task import Task
from eagle_eval.core.records import GenerationSettings, SampleScore
from eagle_eval.data.fixtures.hub_snapshot import mark_local_dir_download, write_snapshot
from eagle_eval.data.loading import Source
from tests.conftest import one_line_exit_2

DATA_COMMIT = "d" * 40
WEIGHTS_COMMIT = "c" * 40
REPO = "lmms-lab/snapqa"
PARQUET = "data/default/validation-00000-of-00001.parquet"


class SnapQA(Task):
    """Sums read through the real loading path (load_source) from a local snapshot."""

    name: ClassVar[str] = "snapqa"
    paper_column: ClassVar[str | None] = "TextVQA"
    headline_metric: ClassVar[str] = "accuracy"
    sources: ClassVar[tuple[Source, ...]] = (Source(REPO, "default", "validation", "main"),)
    generation: ClassVar[GenerationSettings] = GenerationSettings(max_new_tokens=4)

    def prompt(self, doc) -> str:
        return doc.row["question"]

    def images(self, doc) -> list:
        return []

    def score(self, doc, prediction: str, judge: Any = None) -> SampleScore:
        return SampleScore(values={"accuracy": float(prediction.strip() == doc.row["answer"])}, extraction="rule")

    def aggregate(self, scored) -> dict[str, Any]:
        return {"accuracy": sum(s.score.values["accuracy"] for s in scored) / len(scored)}


def write_data(root, answers=("2", "4", "6")) -> None:
    rows = {"question": [f"What is {i} plus {i}?" for i in (1, 2, 3)], "answer": list(answers)}
    repo_dir = write_snapshot(root, REPO, {"default": {"validation": datasets.Dataset.from_dict(rows)}})
    mark_local_dir_download(repo_dir, DATA_COMMIT)


def write_checkpoint(folder, shard=b"weights") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(shard)
    mark_local_dir_download(folder, WEIGHTS_COMMIT)


@pytest.fixture
def world(toy_world, tmp_path):
    registry.register_task(SnapQA)
    # The toy model reports the checkpoint folder it "read", as the Eagle adapter does.
    plain_info = toy_world.adapter.info
    toy_world.adapter.info = lambda: replace(plain_info(), extra={"checkpoint_dir": str(tmp_path / "ckpt")})
    write_data(tmp_path / "data")
    write_checkpoint(tmp_path / "ckpt")
    return tmp_path


def _results(run_dir_parent) -> dict:
    (path,) = run_dir_parent.glob("*/results.json")
    return json.loads(path.read_text())


def _run(eagle, world, out, *extra):
    return eagle("run", "--model", "toy-model", "--tasks", "snapqa", "--data-root", world / "data",
                 "--output-dir", world / out, "--no-progress", *extra)


def test_results_record_the_resolved_commit_and_hash_of_data_and_weights(world, eagle):
    result = _run(eagle, world, "plain")
    assert result.code == 0, result.err
    data = _results(world / "plain")
    (source,) = data["results"]["snapqa"]["sources"]
    assert source["revision"] == "main" and source["pinned"] is False
    assert source["provenance"]["commit"] == DATA_COMMIT
    parquet_sha = hashlib.sha256((world / "data" / REPO / PARQUET).read_bytes()).hexdigest()
    expected = "sha256:" + hashlib.sha256(f"{PARQUET}\t{parquet_sha}\n".encode()).hexdigest()
    assert source["provenance"]["content_hash"] == expected and source["provenance"]["files"] == [PARQUET]
    assert data["model"]["provenance"]["commit"] == WEIGHTS_COMMIT and data["model"]["pinned"] is False
    assert "§" in eagle("table", world / "plain").out


def test_lock_then_run_with_it_reads_exactly_the_locked_snapshot(world, eagle):
    lock_file = world / "eagle-eval.lock.json"
    locked = eagle("lock", "--tasks", "snapqa", "--model", "toy-model", "--data-root", world / "data",
                   "--model-path", world / "ckpt", "--output", lock_file)
    assert locked.code == 0, locked.err
    content = json.loads(lock_file.read_text())
    assert content["datasets"][0]["commit"] == DATA_COMMIT and content["datasets"][0]["tasks"] == ["snapqa"]
    assert content["models"][0]["commit"] == WEIGHTS_COMMIT
    assert DATA_COMMIT in locked.out

    result = _run(eagle, world, "locked", "--lock", lock_file, "--require-pinned", "--model-path", world / "ckpt")
    assert result.code == 0, result.err
    data = _results(world / "locked")
    assert data["results"]["snapqa"]["sources"][0]["pinned"] is True and data["model"]["pinned"] is True
    table = eagle("table", world / "locked").out
    assert "§" not in table


def test_a_changed_parquet_under_the_same_revision_fails_the_locked_run_before_generation(world, eagle):
    lock_file = world / "l.json"
    assert eagle("lock", "--tasks", "snapqa", "--data-root", world / "data", "--output", lock_file).code == 0
    write_data(world / "data", answers=("2", "4", "7"))  # re-fetched: same commit in the metadata, other bytes
    result = _run(eagle, world, "drifted", "--lock", lock_file)
    assert result.code == 2
    assert f"dataset {REPO}" in result.err and "differs from the lock file" in result.err
    assert "content sha256:" in result.err and "hf download" in result.err
    assert not list((world / "drifted").glob("*/samples/*.jsonl"))  # the model never ran


def test_a_checkpoint_that_drifted_from_the_lock_fails(world, eagle):
    lock_file = world / "l.json"
    assert eagle("lock", "--tasks", "snapqa", "--model", "toy-model", "--data-root", world / "data",
                 "--model-path", world / "ckpt", "--output", lock_file).code == 0
    write_checkpoint(world / "ckpt", shard=b"other weights")
    result = _run(eagle, world, "drifted", "--lock", lock_file)
    assert result.code == 2 and "model toy-model differs from the lock file" in result.err


def test_require_pinned_without_a_lock_is_an_error_naming_the_fix(world, eagle):
    result = _run(eagle, world, "ci", "--require-pinned")
    assert result.code == 2
    assert "--require-pinned" in result.err and REPO in result.err and "eagle-eval lock --tasks snapqa" in result.err


def test_a_bad_lock_file_is_one_line_exit_2(world, eagle):
    (world / "bad.json").write_text("{")
    assert "lock file" in one_line_exit_2(_run(eagle, world, "x", "--lock", world / "bad.json"))


def test_compare_refuses_runs_over_differing_data_end_to_end(world, eagle):
    assert _run(eagle, world, "before").code == 0
    write_data(world / "data", answers=("2", "4", "7"))
    assert _run(eagle, world, "after").code == 0
    (before,) = (world / "before").iterdir()
    (after,) = (world / "after").iterdir()
    refused = eagle("compare", after, "--baseline", before)
    assert refused.code == 2 and "task snapqa" in refused.err and DATA_COMMIT in refused.err
    allowed = eagle("compare", after, "--baseline", before, "--allow-data-drift")
    assert allowed.code in (0, 1) and "--allow-data-drift: compared although task snapqa" in allowed.out
