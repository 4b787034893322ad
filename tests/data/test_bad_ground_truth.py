"""A bad ground-truth row costs its own sample, never the run; `--limit` never cuts a scoring unit.

POPE rows with a null answer, an answer that is not yes/no, or a null category, and an MME row with
a null answer, are recorded in results.json (`scoring_errors`) and counted in n_errors; the run goes
on to the next task and exits 3. MME scores an image by both its questions, so a bad row takes its
partner out of the aggregate too. `--limit` takes whole MME pairs and whole MMBench circular groups.
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets

from eagle_eval.api import registry
from eagle_eval.data.fixtures import mmbench as mmbench_fixture
from eagle_eval.data.fixtures import mme as mme_fixture
from eagle_eval.data.fixtures import pope as pope_fixture
from eagle_eval.data.fixtures.hub_snapshot import write_snapshot

POPE_TRUTHS = [answer for _, answer, _, _ in pope_fixture.ROWS]
MME_TRUTHS = [answer for _, _, pair in mme_fixture.PAIRS for _, answer in pair]


def write_pope(root: Path, mutate) -> None:
    columns = pope_fixture.rows()
    mutate(columns)
    dataset = datasets.Dataset.from_dict(columns, features=pope_fixture.FEATURES)
    write_snapshot(root, pope_fixture.REPO, {"default": {"test": dataset}})


def write_mme(root: Path, mutate=None) -> None:
    mme_fixture.write(root)
    if mutate is None:
        return
    dataset = datasets.load_dataset(str(root / mme_fixture.REPO), split="test", cache_dir=str(root / ".cache"))
    columns = dataset.to_dict()
    mutate(columns)
    fixed = datasets.Dataset.from_dict(columns, features=mme_fixture.FEATURES)
    write_snapshot(root, mme_fixture.REPO, {"default": {"test": fixed}})


def predictions_file(path: Path, **answers: list[str]) -> Path:
    lines = [{"task": task, "doc_id": i, "prediction": p} for task, preds in answers.items() for i, p in enumerate(preds)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def replay(eagle, tmp_path: Path, predictions: Path, tasks: str, *extra: str):
    return eagle(
        "run", "--model", "replay", "--predictions", predictions, "--tasks", tasks, "--data-root",
        tmp_path / "hub", "--output-dir", tmp_path / "runs", "--no-progress", *extra,
    )  # fmt: skip


def results_of(tmp_path: Path) -> dict:
    (run_dir,) = list((tmp_path / "runs").iterdir())
    return json.loads((run_dir / "results.json").read_text())


def test_bad_pope_ground_truth_rows_are_their_samples_errors(eagle, tmp_path):
    def break_truths(columns: dict) -> None:
        columns["answer"][0] = None
        columns["answer"][1] = "maybe"
        columns["category"][2] = None

    write_pope(tmp_path / "hub", break_truths)
    write_mme(tmp_path / "hub")
    predictions = predictions_file(tmp_path / "p.jsonl", pope=POPE_TRUTHS, mme=MME_TRUTHS)
    result = replay(eagle, tmp_path, predictions, "pope,mme")
    assert result.code == 3, result.err
    assert "3 sample(s) could not be scored" in result.err
    results = results_of(tmp_path)
    pope = results["results"]["pope"]
    assert pope["n_samples"] == 12 and pope["n_errors"] == 3 and results["n_errors"] == 3
    errors = {e["doc_id"]: e["error"] for e in pope["scoring_errors"]}
    assert sorted(errors) == [0, 1, 2]
    assert "None" in errors[0] and "'maybe' is not 'yes' or 'no'" in errors[1] and "category None" in errors[2]
    assert all("(pope test/" in reason for reason in errors.values())
    # The other nine rows are answered right: every metric over them is perfect.
    assert pope["metrics"]["n"] == 9 and pope["metrics"]["f1"] == 1.0 and pope["headline"]["value"] == 100.0
    # The task after it ran and scored in full.
    assert results["results"]["mme"]["n_errors"] == 0 and results["results"]["mme"]["metrics"]["perception"] == 600


def test_a_bad_mme_row_takes_its_image_pair_out_of_the_aggregate(eagle, tmp_path):
    def break_count(columns: dict) -> None:
        columns["answer"][4] = None  # the "Yes" question of the one `count` image

    write_mme(tmp_path / "hub", break_count)
    predictions = predictions_file(tmp_path / "p.jsonl", mme=MME_TRUTHS)
    result = replay(eagle, tmp_path, predictions, "mme")
    assert result.code == 3, result.err
    mme = results_of(tmp_path)["results"]["mme"]
    assert mme["n_samples"] == 12 and mme["n_errors"] == 2
    errors = {e["doc_id"]: e["error"] for e in mme["scoring_errors"]}
    assert sorted(errors) == [4, 5] and "left out of the aggregate" in errors[5]
    # Five whole images left, all right: 200 per category. Perception: existence and OCR; no count.
    assert mme["metrics"]["perception"] == 400 and mme["metrics"]["perception_categories"] == 2
    assert mme["metrics"]["cognition"] == 400
    assert mme["metrics"]["n"] == 10


def test_an_odd_limit_keeps_mme_pairs_whole(eagle, tmp_path):
    write_mme(tmp_path / "hub")
    predictions = predictions_file(tmp_path / "p.jsonl", mme=MME_TRUTHS)
    result = replay(eagle, tmp_path, predictions, "mme", "--limit", "3")
    assert result.code == 0, result.err
    mme = results_of(tmp_path)["results"]["mme"]
    assert (mme["n_samples"], mme["n_errors"], mme["subset"]) == (4, 0, True)  # both images' pairs
    assert mme["metrics"]["perception"] == 200 and mme["metrics"]["n_images"] == 2


def test_a_limit_keeps_mmbench_circular_groups_whole_wherever_the_copies_are(eagle, tmp_path):
    rows = sorted(mmbench_fixture.rotations(), key=lambda row: row["index"])  # copies far apart, as on the hub
    mmbench_fixture.write(tmp_path / "hub")
    dataset = datasets.load_dataset(str(tmp_path / "hub" / mmbench_fixture.REPO), "en", split="dev",
                                    cache_dir=str(tmp_path / ".cache"))  # fmt: skip
    by_index = {row["index"]: i for i, row in enumerate(dataset.to_list())}
    reordered = dataset.select([by_index[row["index"]] for row in rows])
    write_snapshot(tmp_path / "hub", mmbench_fixture.REPO, {"en": {"dev": reordered}})
    answers = [row["answer"] for row in rows]
    predictions = predictions_file(tmp_path / "p.jsonl", mmbench=answers)
    result = replay(eagle, tmp_path, predictions, "mmbench", "--limit", "2")
    assert result.code == 0, result.err
    mmbench = results_of(tmp_path)["results"]["mmbench"]
    first_two = {row["index"] % mmbench_fixture.CIRCULAR_STRIDE for row in rows[:2]}
    expected_rows = sum(1 for row in rows if row["index"] % mmbench_fixture.CIRCULAR_STRIDE in first_two)
    assert len(first_two) == 2 and expected_rows > 2
    assert mmbench["n_samples"] == expected_rows and mmbench["metrics"]["n_questions"] == 2
    assert mmbench["metrics"]["overall"] == 1.0


def test_an_aggregation_that_fails_costs_only_its_task(toy_world, toy_run, tmp_path):
    class Fragile(registry._TASKS["toyqa"]):
        def aggregate(self, scored):
            raise ZeroDivisionError("one row the checks missed")

    registry.register_task(Fragile)
    result = toy_run(tasks="toyqa,toypope")
    assert result.code == 3 and "no metrics for toyqa" in result.err, result.err
    (run_dir,) = list((tmp_path / "runs").iterdir())
    results = json.loads((run_dir / "results.json").read_text())["results"]
    assert results["toyqa"]["metrics"] == {} and results["toyqa"]["headline"]["value"] is None
    assert results["toyqa"]["aggregation_error"] == "aggregation failed: ZeroDivisionError: one row the checks missed"
    # ToyPope's 8 docs (doc_ids 0-3 in two splits; truth "yes" for odd ids): the toy model answers
    # "wrong" for ids 0 and 3 (divisible by 3) and the truth for 1 and 2, so 2 of 4 right per split,
    # 4 of 8 in all: 4 / 8 = 0.5, 50.0 percent.
    assert results["toypope"]["headline"]["value"] == 50.0
