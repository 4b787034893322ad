"""A literal `<image>` in a dataset's text: one rule for every task, recorded in the sample.

The rule (docs/footguns.md): every `<image>` in a prompt is an image slot, whoever wrote it, as the
authors' lmms-eval wrapper treats it; a prompt whose slots and images differ in number is that
sample's error. A sample whose dataset text placed an image says so (`notes.dataset_image_markers`),
and results.json counts them per task.
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets

from eagle_eval.api import registry
from eagle_eval.data.fixtures import pope as pope_fixture
from eagle_eval.data.fixtures.hub_snapshot import write_snapshot
from eagle_eval.model_adapters.eagle.templates import place_images
from eagle_eval.core.records import Doc
from eagle_eval.api.task import dataset_image_markers


def samples_of(run_dir: Path, task: str) -> dict[int, dict]:
    lines = (run_dir / "samples" / f"{task}.jsonl").read_text().splitlines()
    return {json.loads(line)["doc_id"]: json.loads(line) for line in lines}


def test_the_marker_is_an_image_slot_recorded_in_the_sample_and_a_mismatch_is_an_error(toy_world, toy_run, tmp_path):
    base = registry._TASKS["toyqa"]

    class Marked(base):
        def load_docs(self, data_root=None):
            docs = super().load_docs(data_root)
            docs[1].row["question"] = "In <image>, what is 1 plus 1?"
            docs[2].row["question"] = "Compare <image> with <image>: what is 2 plus 2?"
            return docs

    registry.register_task(Marked)
    result = toy_run()
    assert result.code == 3, result.err
    sent = {text for batch in toy_world.adapter.texts for text in batch}
    assert "In <image>, what is 1 plus 1?" + base.suffix in sent  # sent as written: the image goes there
    (run_dir,) = list((tmp_path / "runs").iterdir())
    samples = samples_of(run_dir, "toyqa")
    assert samples[1]["notes"] == {"dataset_image_markers": 1} and samples[1]["error"] is None
    assert "notes" not in samples[0]
    assert samples[2]["prediction"] is None
    assert "2 '<image>' image slot(s), 2 of them in the dataset's own text but the row has 1 image(s)" in samples[2]["error"]
    toyqa = json.loads((run_dir / "results.json").read_text())["results"]["toyqa"]
    assert toyqa["n_dataset_image_markers"] == 1 and toyqa["n_errors"] == 1


def test_the_same_rule_holds_for_a_hub_task(eagle, tmp_path):
    columns = pope_fixture.rows()
    columns["question"][0] = "Is there a snowboard in <image>?"
    dataset = datasets.Dataset.from_dict(columns, features=pope_fixture.FEATURES)
    write_snapshot(tmp_path / "hub", pope_fixture.REPO, {"default": {"test": dataset}})
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps({"doc_id": i, "prediction": "yes"}) + "\n" for i in range(12)))
    result = eagle("run", "--model", "replay", "--predictions", predictions, "--tasks", "pope", "--data-root",
                   tmp_path / "hub", "--output-dir", tmp_path / "runs", "--no-progress")  # fmt: skip
    assert result.code == 0, result.err
    (run_dir,) = list((tmp_path / "runs").iterdir())
    samples = samples_of(run_dir, "pope")
    assert samples[0]["notes"] == {"dataset_image_markers": 1}
    assert all("notes" not in samples[i] for i in range(1, 12))
    assert json.loads((run_dir / "results.json").read_text())["results"]["pope"]["n_dataset_image_markers"] == 1


def test_the_eagle_prompt_puts_the_image_at_the_marker_and_a_prefix_only_without_one():
    assert place_images("Is there a dog in <image>?", 1) == "Is there a dog in <image>?"
    assert place_images("Is there a dog?", 1) == "<image>\nIs there a dog?"


def test_markers_are_counted_in_text_columns_only():
    row = {"question": "<image> and <image>", "options": ["<image>", "B"], "image": object(), "n": 3}
    assert dataset_image_markers(row) == 3
    assert dataset_image_markers(Doc("test", 0, {"question": "<image 1>"}).row) == 0  # MMMU's references differ
