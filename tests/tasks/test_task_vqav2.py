"""VQAv2: test-dev is answered for the EvalAI server (submission file, no local headline);
validation is scored here with VQA accuracy on hand-derived predictions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.core.records import GenerationSettings
from eagle_eval.run.scoring import Outcome, ScoreOptions, score_task
from eagle_eval.tasks.vqav2 import VQAv2Test, VQAv2TestDev, VQAv2Val
from tests.tasks.conftest import Bundled

SUFFIX = "\nAnswer the question using a single word or phrase."


@pytest.fixture(scope="module")
def testdev(bundled: Bundled) -> list[Doc]:
    return bundled.docs(VQAv2TestDev)


@pytest.fixture(scope="module")
def validation(bundled: Bundled) -> list[Doc]:
    return bundled.docs(VQAv2Val)


def test_splits_and_settings(testdev: list[Doc], validation: list[Doc]) -> None:
    assert len(testdev) == 4 and {d.split for d in testdev} == {"testdev"}
    assert len(validation) == 6 and {d.split for d in validation} == {"validation"}
    assert all(d.row["answers"] is None for d in testdev)  # the server holds test-dev's answers
    assert VQAv2TestDev.server_scored and VQAv2TestDev.paper_protocol
    assert not VQAv2Val.server_scored and not VQAv2Val.paper_protocol
    assert VQAv2Test.sources[0].split == "test" and not VQAv2Test.paper_protocol
    assert VQAv2TestDev.generation == VQAv2Val.generation == GenerationSettings(max_new_tokens=16)
    assert VQAv2TestDev.paper_column == VQAv2Val.paper_column == "VQAv2"


def test_prompt_keeps_the_question_as_written(testdev: list[Doc], validation: list[Doc]) -> None:
    assert VQAv2TestDev().prompt(testdev[0]) == "What is on the table?" + SUFFIX
    assert VQAv2Val().prompt(validation[1]) == "How many dogs are there?" + SUFFIX
    (image,) = VQAv2Val().images(validation[0])
    assert image.mode == "RGB"


# Validation predictions and their VQA accuracy, worked by hand:
VALIDATION_PREDICTIONS = [
    ("Yes.", 1.0),  # "yes" x10
    ("Two", 1.0),  # -> "2"; answers "2" x6 and "two" -> "2": 7 annotators
    ("Black", 0.3),  # 1 annotator
    ("An umbrella.", 0.6),  # -> "umbrella"; "umbrella" and "an umbrella": 2 annotators
    ("The sport is tennis.", 0.0),  # -> "sport is tennis"
    ("1,000", 1.0),  # -> "1000"; "1000" x3 and "1,000" x2: 5 annotators
]


def test_validation_scores_and_headline(validation: list[Doc]) -> None:
    task = VQAv2Val()
    scored = []
    for doc, (prediction, expected) in zip(validation, VALIDATION_PREDICTIONS, strict=True):
        score = task.score(doc, prediction)
        assert score.values["vqa_accuracy"] == pytest.approx(expected, abs=1e-12), prediction
        scored.append(ScoredDoc(doc, prediction, score))
    metrics = task.aggregate(scored)
    assert metrics["vqa_accuracy"] == pytest.approx(3.9 / 6)
    assert task.to_paper_units(metrics) == pytest.approx(65.0)
    assert task.score(validation[2], "3 cats").values["vqa_accuracy"] == 0.0


def test_validation_task_refuses_rows_without_answers(testdev: list[Doc]) -> None:
    with pytest.raises(ValueError, match="use task vqav2"):
        VQAv2Val().score(testdev[0], "cup")


def test_testdev_writes_every_question_for_evalai(testdev: list[Doc], tmp_path: Path) -> None:
    task = VQAv2TestDev()
    predictions = ["A cup.", "Yes", "Two", "Sunny\nand warm"]
    outcomes = {d.key: Outcome(p) for d, p in zip(testdev, predictions, strict=True)}
    submission = tmp_path / "vqav2_submission.json"
    result = score_task(task, testdev, outcomes, ScoreOptions(subset=False, submission_path=submission)).result
    assert result.headline.value is None and result.server_scored
    assert result.submission_file == str(submission)
    assert json.loads(submission.read_text()) == [
        {"question_id": 1000000, "answer": "cup"},
        {"question_id": 1000001, "answer": "yes"},
        {"question_id": 2000000, "answer": "2"},
        {"question_id": 2000001, "answer": "sunny and warm"},
    ]


def test_submission_refuses_duplicate_questions(testdev: list[Doc], tmp_path: Path) -> None:
    task = VQAv2TestDev()
    scored = [ScoredDoc(d, "x", task.score(d, "x")) for d in (testdev[0], testdev[0])]
    with pytest.raises(ValueError, match="appears twice"):
        task.write_submission(scored, tmp_path / "s.json")
