"""Which model a stored prediction came from: the weights actually loaded, not the name on the command.

Item by item: new weights saved over the same --model-path regenerate every sample; a fixed --run-id
with another --model-path never reuses the other's samples; results.json covers every task the run
directory holds for the same model fingerprint; a run directory grows by tasks and docs; spelling
out the default dtype changes nothing, while another dtype regenerates.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from eagle_eval.api import registry
from eagle_eval.core.records import ModelInfo
from eagle_eval.provenance.hashes import FileHashCache
from eagle_eval.provenance.identity import checkpoint_fingerprint, effective_model_fingerprint, loaded_weights

from ..conftest import ToyAdapter, only_run_dir


def write_checkpoint(directory: Path, value: float, shape: tuple[int, ...] = (2, 2)) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps({"model_type": "toy", "hidden_size": shape[-1]}))
    save_file({"layer.weight": np.full(shape, value, dtype=np.float32)}, str(directory / "model.safetensors"))
    return directory


def results_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())


def generated(adapter: ToyAdapter) -> list[tuple[str, str, int]]:
    return adapter.generated_keys


# --- item 1: the weights actually loaded ---------------------------------------------------------


def test_new_weights_saved_over_the_same_model_path_regenerate_every_sample(toy_world, toy_run, tmp_path):
    checkpoint = write_checkpoint(tmp_path / "ckpt", 0.0)
    assert toy_run("--model-path", checkpoint).code == 0
    run_dir = only_run_dir(tmp_path / "runs", among_files=True)
    first = results_of(run_dir)["model"]["weights"]
    assert first["directory"] == str(checkpoint.resolve()) and first["fingerprint"].startswith("ckpt:")

    adapter = toy_world.new_adapter()
    assert toy_run("--model-path", checkpoint).code == 0
    assert generated(adapter) == []  # unchanged weights: every sample reused

    stat = (checkpoint / "model.safetensors").stat()
    write_checkpoint(checkpoint, 1.0)  # new weights saved in place, same file names and shapes
    os.utime(checkpoint / "model.safetensors", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    adapter = toy_world.new_adapter()
    assert toy_run("--model-path", checkpoint).code == 0
    assert len(generated(adapter)) == 10  # nothing of the old weights is scored as the new model
    assert only_run_dir(tmp_path / "runs", among_files=True) == run_dir
    assert results_of(run_dir)["model"]["weights"]["fingerprint"] != first["fingerprint"]

    # Another shape with the old mtime put back: the header and size still tell the weights apart.
    before = (checkpoint / "model.safetensors").stat()
    write_checkpoint(checkpoint, 1.0, shape=(3, 3))
    (checkpoint / "config.json").write_text(json.dumps({"model_type": "toy", "hidden_size": 2}))
    os.utime(checkpoint / "model.safetensors", ns=(before.st_atime_ns, before.st_mtime_ns))
    adapter = toy_world.new_adapter()
    assert toy_run("--model-path", checkpoint).code == 0
    assert len(generated(adapter)) == 10


def test_a_fixed_run_id_with_another_model_path_never_reuses_its_samples(toy_world, toy_run, tmp_path):
    a, b = write_checkpoint(tmp_path / "a", 0.0), write_checkpoint(tmp_path / "b", 2.0)
    assert toy_run("--run-id", "shared", "--model-path", a, tasks="toyqa,toypope").code == 0
    adapter = toy_world.new_adapter()
    assert toy_run("--run-id", "shared", "--model-path", b, tasks="toyqa").code == 0
    assert len(generated(adapter)) == 10
    results = results_of(tmp_path / "runs" / "shared")
    assert results["model"]["weights"]["directory"] == str(b.resolve())
    assert list(results["results"]) == ["toyqa"]  # toypope was scored for model a: not this model's result


def test_the_checkpoint_fingerprint_is_cheap_cached_and_names_a_hub_commit(tmp_path):
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = write_checkpoint(tmp_path / "hub" / "models--org--eagle" / "snapshots" / commit, 0.5)
    cache = FileHashCache(tmp_path / "hashes.json")
    info = ModelInfo(name="eagle", extra={"checkpoint_dir": str(snapshot)}, device="cuda:1")
    weights = loaded_weights(info, None, cache)
    assert weights.commit == commit and weights.directory == str(snapshot.resolve())
    assert json.loads((tmp_path / "hashes.json").read_text())  # small files hashed once, then by stat
    assert checkpoint_fingerprint(snapshot, FileHashCache(tmp_path / "hashes.json")) == weights.fingerprint
    # The device kind counts (kernels differ), the index does not.
    on_other_gpu = ModelInfo(name="eagle", extra={"checkpoint_dir": str(snapshot)}, device="cuda:0")
    on_cpu = ModelInfo(name="eagle", extra={"checkpoint_dir": str(snapshot)}, device="cpu")
    fingerprint = effective_model_fingerprint(info, weights)
    assert fingerprint == effective_model_fingerprint(on_other_gpu, weights)
    assert fingerprint != effective_model_fingerprint(on_cpu, weights)
    assert loaded_weights(ModelInfo(name="replay"), None, cache) is None


# --- item 4: results.json covers the directory --------------------------------------------------


def test_results_cover_every_task_the_run_dir_holds_for_the_same_model(toy_world, toy_run, tmp_path):
    assert toy_run("--run-id", "shared", tasks="toyqa").code == 0
    first = results_of(tmp_path / "runs" / "shared")["results"]["toyqa"]
    assert toy_run("--run-id", "shared", tasks="toypope").code == 0
    results = results_of(tmp_path / "runs" / "shared")["results"]
    assert sorted(results) == ["toypope", "toyqa"]
    assert results["toyqa"]["headline"] == first["headline"] == {"metric": "accuracy", "value": 60.0, "units": "percent"}
    assert results["toyqa"]["model_fingerprint"] == results["toypope"]["model_fingerprint"]

    toy_world.new_adapter(revision="r2")  # another model under the same name: its results stand alone
    assert toy_run("--run-id", "shared", tasks="toypope").code == 0
    assert list(results_of(tmp_path / "runs" / "shared")["results"]) == ["toypope"]


# --- item 5: per-sample, normalised fingerprints; a run directory grows -------------------------


def test_adding_a_task_or_docs_keeps_every_stored_sample(toy_world, toy_run, tmp_path):
    assert toy_run("--limit", "4", tasks="toyqa").code == 0
    adapter = toy_world.new_adapter()
    assert toy_run(tasks="toyqa,toypope").code == 0
    assert sorted(k[2] for k in generated(adapter) if k[0] == "toyqa") == list(range(4, 10))
    assert len([k for k in generated(adapter) if k[0] == "toypope"]) == 8
    run_dir = only_run_dir(tmp_path / "runs", among_files=True)
    assert sorted(results_of(run_dir)["results"]) == ["toypope", "toyqa"]
    assert results_of(run_dir)["results"]["toyqa"]["subset"] is False


@dataclass
class DtypeToy(ToyAdapter):
    """The toy model with a dtype option: float32 unless told otherwise."""

    dtype: str = "float32"

    def info(self) -> ModelInfo:
        base = super().info()
        return ModelInfo(name=base.name, hub_id=base.hub_id, revision=base.revision, dtype=self.dtype, device="cpu")


def test_spelling_out_the_default_dtype_changes_nothing_and_another_dtype_regenerates(toy_world, toy_run, tmp_path):
    made: list[DtypeToy] = []

    def factory(options):
        made.append(DtypeToy(dtype=options.dtype or "float32"))
        return made[-1]

    registry.register_model(registry.ModelEntry(name="dtype-toy", factory=factory, description="toy with a dtype",
                                                needs_torch=False))  # fmt: skip
    assert toy_run(model="dtype-toy").code == 0
    assert toy_run("--dtype", "float32", model="dtype-toy").code == 0
    assert generated(made[-1]) == []  # the default spelled out: same run, nothing regenerated
    assert toy_run("--dtype", "bfloat16", model="dtype-toy").code == 0
    assert len(generated(made[-1])) == 10  # another dtype changes predictions: regenerated
    run_dir = only_run_dir(tmp_path / "runs", among_files=True)
    assert results_of(run_dir)["model"]["dtype"] == "bfloat16"


@pytest.mark.slow
def test_an_eagle_checkpoint_rewritten_in_place_regenerates_its_samples(eagle, tmp_path):
    """The real adapter: a tiny Eagle checkpoint copied, run, then one shard's values rewritten in place."""
    import shutil

    from safetensors.torch import load_file
    from safetensors.torch import save_file as save_torch

    from eagle_eval.data.fixtures import pope as pope_fixture
    from eagle_eval.model_adapters.eagle.tiny import ensure_tiny_checkpoint
    from eagle_eval.results.samples import read_samples

    checkpoint = tmp_path / "checkpoint"
    shutil.copytree(ensure_tiny_checkpoint("eagle-tiny"), checkpoint)
    pope_fixture.write(tmp_path / "hub")
    command = ("run", "--model", "eagle-tiny", "--model-path", checkpoint, "--tasks", "pope", "--limit", "1",
               "--data-root", tmp_path / "hub", "--output-dir", tmp_path / "runs", "--no-progress")  # fmt: skip
    assert eagle(*command).code == 0
    run_dir = only_run_dir(tmp_path / "runs", among_files=True)
    samples = run_dir / "samples" / "pope.jsonl"
    assert len(read_samples(samples)) == 1

    index = json.loads((checkpoint / "model.safetensors.index.json").read_text())
    shard = checkpoint / sorted(set(index["weight_map"].values()))[0]
    tensors = load_file(str(shard))
    name = sorted(tensors)[0]
    tensors[name] = tensors[name] + 1  # new values, same names and shapes: the header is unchanged
    stat = shard.stat()
    save_torch(tensors, str(shard), metadata={"format": "pt"})
    os.utime(shard, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert eagle(*command).code == 0
    records = read_samples(samples)
    assert len(records) == 2 and records[0].fingerprint != records[1].fingerprint
