"""A rerun whose every sample is stored re-scores without loading the model (eagle_eval.run.stored_model);
any doubt (a missing or stale sample, rewritten weights, other settings) loads it as before."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from eagle_eval.api import registry
from eagle_eval.core.records import ModelInfo
from eagle_eval.run.stored_model import LOAD_RECORD_FILENAME
from tests.conftest import ToyAdapter, one_line_exit_2, only_run_dir

NOT_LOADED = "not loaded: every sample of"


@dataclass
class FolderToy(ToyAdapter):
    """The toy model, reporting the checkpoint folder it read (as the Eagle adapter does)."""

    folder: str = ""

    def info(self) -> ModelInfo:
        return replace(super().info(), extra={"checkpoint_dir": self.folder})


def write_safetensors(path: Path, shape: list[int]) -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": shape, "data_offsets": [0, 4 * shape[0]]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4 * shape[0])


@dataclass
class CheckpointWorld:
    folder: Path
    loads: list[FolderToy]


def register_folder_model(folder: Path, loads: list[FolderToy], name: str = "toy-ckpt",
                          loads_weights: bool = True) -> None:
    def factory(options: registry.ModelOptions) -> FolderToy:
        adapter = FolderToy(folder=str(folder))
        loads.append(adapter)
        return adapter

    registry.register_model(registry.ModelEntry(name=name, factory=factory, needs_torch=False,
                                                loads_weights=loads_weights))


@pytest.fixture
def ckpt(toy_world, tmp_path) -> CheckpointWorld:
    """A registered model `toy-ckpt` that reads a checkpoint folder; `loads` holds one adapter per load."""
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "config.json").write_text('{"hidden_size": 4}')
    write_safetensors(folder / "model.safetensors", [2])
    world = CheckpointWorld(folder, [])
    register_folder_model(folder, world.loads)
    return world


def run_ckpt(toy_run, *extra: str, tasks: str = "toyqa,toypope"):
    result = toy_run("--run-id", "x", *extra, tasks=tasks, model="toy-ckpt")
    assert result.code == 0, result.err
    return result


def per_launch_fields_dropped(path: Path) -> dict:
    """results.json without what every launch writes anew: its time, software, hardware and timings."""
    results = json.loads(path.read_text())
    for key in ("created_at", "software", "hardware"):
        results.pop(key)
    for entry in results["results"].values():
        entry.pop("timings")
    return results


def test_a_stored_rerun_scores_without_loading_the_model(ckpt, toy_run, tmp_path):
    first = run_ckpt(toy_run)
    assert len(ckpt.loads) == 1 and NOT_LOADED not in first.err
    run_dir = tmp_path / "runs" / "x"
    assert (run_dir / LOAD_RECORD_FILENAME).is_file()
    results_before = per_launch_fields_dropped(run_dir / "results.json")
    samples_before = {p.name: p.read_bytes() for p in (run_dir / "samples").iterdir()}

    again = run_ckpt(toy_run)
    assert len(ckpt.loads) == 1  # the factory was not called again
    assert "toy-ckpt not loaded: every sample of toyqa, toypope is stored and matches" in again.err
    assert NOT_LOADED in (run_dir / "run.log").read_text()
    assert per_launch_fields_dropped(run_dir / "results.json") == results_before
    assert results_before["results"]["toyqa"]["headline"]["value"] == pytest.approx(60.0)
    assert {p.name: p.read_bytes() for p in (run_dir / "samples").iterdir()} == samples_before
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(".")) == []  # no temporaries left


@pytest.mark.parametrize("damage", ["missing", "failed"])
def test_a_rerun_with_one_sample_missing_loads_and_generates_only_that_one(ckpt, toy_run, tmp_path, damage):
    run_ckpt(toy_run)
    samples = tmp_path / "runs" / "x" / "samples" / "toyqa.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    kept = [line for line in lines if json.loads(line)["doc_id"] != 4]
    if damage == "failed":  # the last line of doc 4 says it failed
        fourth = next(json.loads(line) for line in lines if json.loads(line)["doc_id"] == 4)
        kept.append(json.dumps({**fourth, "prediction": None, "error": "boom"}) + "\n")
    samples.write_text("".join(kept))

    again = run_ckpt(toy_run)
    assert len(ckpt.loads) == 2 and NOT_LOADED not in again.err
    assert ckpt.loads[1].generated_keys == [("toyqa", "validation", 4)]
    run_ckpt(toy_run)  # and now every sample is stored again
    assert len(ckpt.loads) == 2


def test_a_rewritten_checkpoint_under_the_same_path_loads_again(ckpt, toy_run):
    run_ckpt(toy_run)
    write_safetensors(ckpt.folder / "model.safetensors", [3])  # new weights, same path
    again = run_ckpt(toy_run)
    assert len(ckpt.loads) == 2 and NOT_LOADED not in again.err
    assert len(ckpt.loads[1].generated_keys) == 18  # new weights: every sample of both tasks anew
    run_ckpt(toy_run)  # the record now names the new weights
    assert len(ckpt.loads) == 2


def test_a_changed_small_file_of_the_checkpoint_loads_again(ckpt, toy_run):
    run_ckpt(toy_run)
    (ckpt.folder / "config.json").write_text('{"hidden_size": 8}')
    run_ckpt(toy_run)
    assert len(ckpt.loads) == 2


def test_a_changed_prompt_loads_again(ckpt, toy_run):
    run_ckpt(toy_run)

    class Reworded(registry._TASKS["toyqa"]):
        suffix = "\nAnswer with digits only."

    registry.register_task(Reworded)
    again = run_ckpt(toy_run)
    assert len(ckpt.loads) == 2 and NOT_LOADED not in again.err
    assert len(ckpt.loads[1].generated_keys) == 10  # toyqa's prompts changed; toypope's samples still hold


@pytest.mark.parametrize("flags", [
    ("--gen-kwargs", "max_new_tokens=4"),  # same --run-id: the stored samples no longer match
    ("--dtype", "float16"),  # a setting the load may resolve otherwise
    ("--batch-size", "2"),
    ("--predict-only",),
    ("--seed", "7"),
])
def test_other_settings_on_the_same_run_folder_load_again(ckpt, toy_run, flags):
    run_ckpt(toy_run)
    again = run_ckpt(toy_run, *flags)
    assert len(ckpt.loads) == 2 and NOT_LOADED not in again.err


def test_more_tasks_than_stored_load(ckpt, toy_run):
    run_ckpt(toy_run, tasks="toyqa")
    run_ckpt(toy_run)
    assert len(ckpt.loads) == 2
    assert ckpt.loads[1].generated_keys and {key[0] for key in ckpt.loads[1].generated_keys} == {"toypope"}


def test_a_model_that_loads_no_weights_always_loads(toy_world, toy_run, tmp_path):
    """An API model's weights cannot be identified: it loads every time, and no record is kept."""
    loads: list[FolderToy] = []
    register_folder_model(tmp_path, loads, name="toy-api", loads_weights=False)
    for _ in range(2):
        assert toy_run("--run-id", "x", model="toy-api").code == 0
    assert len(loads) == 2
    assert not (only_run_dir(tmp_path / "runs") / LOAD_RECORD_FILENAME).exists()


def test_the_pins_are_checked_against_the_recorded_weights(ckpt, toy_run):
    run_ckpt(toy_run)
    line = one_line_exit_2(toy_run("--run-id", "x", "--require-pinned", tasks="toyqa,toypope", model="toy-ckpt"))
    assert "--require-pinned" in line and len(ckpt.loads) == 1  # refused as a load would refuse it


def test_a_damaged_load_record_loads(ckpt, toy_run, tmp_path):
    run_ckpt(toy_run)
    record = tmp_path / "runs" / "x" / LOAD_RECORD_FILENAME
    record.write_text(record.read_text()[:40])
    run_ckpt(toy_run)
    assert len(ckpt.loads) == 2
    assert json.loads(record.read_text())["version"] == 1  # written whole again by the load


def test_replay_is_not_read_again_until_its_predictions_change(toy_world, toy_run, tmp_path):
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps({"doc_id": i, "prediction": str(2 * i)}) + "\n" for i in range(10)))
    replay = ("--predictions", str(predictions))
    assert NOT_LOADED not in toy_run(*replay, model="replay").err
    assert NOT_LOADED in toy_run(*replay, model="replay").err
    predictions.write_text(predictions.read_text().replace('"prediction": "2"', '"prediction": "3"'))
    result = toy_run(*replay, model="replay")
    assert NOT_LOADED not in result.err and result.code == 0
    run_dir = only_run_dir(tmp_path / "runs")
    assert json.loads((run_dir / "results.json").read_text())["results"]["toyqa"]["headline"]["value"] == 90.0
