"""VizWiz-VQA: the capitalised question and Unanswerable instruction, the EvalAI upload for test,
and VQA accuracy on val with hand-derived predictions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.core.records import GenerationSettings
from eagle_eval.run.scoring import Outcome, ScoreOptions, score_task
from eagle_eval.tasks.vizwiz import VizWizTest, VizWizVal
from tests.tasks.conftest import Bundled

INSTRUCTION = (
    "\nWhen the provided information is insufficient, respond with 'Unanswerable'."
    "\nAnswer the question using a single word or phrase."
)


@pytest.fixture(scope="module")
def test_docs(bundled: Bundled) -> list[Doc]:
    return bundled.docs(VizWizTest)


@pytest.fixture(scope="module")
def val_docs(bundled: Bundled) -> list[Doc]:
    return bundled.docs(VizWizVal)


def test_splits_and_settings(test_docs: list[Doc], val_docs: list[Doc]) -> None:
    assert len(test_docs) == 3 and {d.split for d in test_docs} == {"test"}
    assert len(val_docs) == 6 and {d.split for d in val_docs} == {"val"}
    assert VizWizTest.server_scored and VizWizTest.paper_protocol
    assert not VizWizVal.server_scored and not VizWizVal.paper_protocol
    assert VizWizTest.generation == GenerationSettings(max_new_tokens=1024, until=())


def test_prompt(val_docs: list[Doc], test_docs: list[Doc]) -> None:
    assert VizWizVal().prompt(val_docs[0]) == "What is this?" + INSTRUCTION
    # capitalize() also lowercases the rest: "Book" becomes "book".
    assert VizWizVal().prompt(val_docs[4]) == "What is the name of this book?" + INSTRUCTION
    assert VizWizTest().prompt(test_docs[2]) == "Which button is play?" + INSTRUCTION
    (image,) = VizWizTest().images(test_docs[0])
    assert image.mode == "RGB"


VAL_PREDICTIONS = [
    ("Soup", 1.0),  # 4 annotators
    ("Unanswerable", 1.0),  # all 10
    ("No.", 0.6),  # 2 annotators
    ("Three", 0.6),  # -> "3"; "3" and "three": 2 annotators
    ("Harry Potter", 0.9),  # 3 annotators
    ("A remote control.", 1.0),  # -> "remote control": 5 annotators
]


def test_val_scores_and_headline(val_docs: list[Doc]) -> None:
    task = VizWizVal()
    scored = []
    for doc, (prediction, expected) in zip(val_docs, VAL_PREDICTIONS, strict=True):
        score = task.score(doc, prediction)
        assert score.values["vqa_accuracy"] == pytest.approx(expected, abs=1e-12), prediction
        scored.append(ScoredDoc(doc, prediction, score))
    metrics = task.aggregate(scored)
    assert metrics["vqa_accuracy"] == pytest.approx(5.1 / 6)
    assert task.to_paper_units(metrics) == pytest.approx(85.0)


def test_val_task_refuses_rows_without_answers(test_docs: list[Doc]) -> None:
    with pytest.raises(ValueError, match="use task vizwiz"):
        VizWizVal().score(test_docs[0], "soup")


def test_test_split_writes_the_evalai_upload(test_docs: list[Doc], tmp_path: Path) -> None:
    outcomes = {
        d.key: Outcome(p) for d, p in zip(test_docs, ["Soup.", "unanswerable", "The Red one"], strict=True)
    }
    submission = tmp_path / "vizwiz_submission.json"
    result = score_task(VizWizTest(), test_docs, outcomes, ScoreOptions(subset=False, submission_path=submission)).result
    assert result.headline.value is None and result.server_scored
    assert json.loads(submission.read_text()) == [
        {"image": "VizWiz_test_00000000.jpg", "answer": "soup"},
        {"image": "VizWiz_test_00000001.jpg", "answer": "unanswerable"},
        {"image": "VizWiz_test_00000002.jpg", "answer": "red 1"},  # "one" is a number word
    ]
