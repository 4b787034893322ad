"""Parity with lmms-eval 0.7.3's VizWiz-VQA functions: prompts, per-sample VQA accuracy, upload entries."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import lmms_eval.tasks.vizwiz_vqa.utils as lmms_vizwiz
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.vizwiz import VizWizTest, VizWizVal

DOCS_OF = {"val": VizWizVal, "test": VizWizTest}

INSTRUCTION = (
    "\nWhen the provided information is insufficient, respond with 'Unanswerable'."
    "\nAnswer the question using a single word or phrase."
)
AWKWARD = [
    "The answer is B", "(B)", "B.", "Yes.", " yes", "no", "No.", "two", "Three", "3", "12%", "1,000",
    "Soup", "soup.", "Tomato soup", "Broth", "a can of soup", "Unanswerable", "unanswerable.", "UNANSWERABLE",
    "Harry Potter", "the hobbit", "A remote control.", "remote", "", "\nsoup", "soup\n\nIt is a can of soup.",
]  # fmt: skip


def test_prompts_match_lmms_eval(docs: dict[str, list[Doc]]) -> None:
    kwargs = {"pre_prompt": "", "post_prompt": INSTRUCTION}
    for doc in docs["val"] + docs["test"]:
        assert VizWizVal().prompt(doc) == lmms_vizwiz.vizwiz_vqa_doc_to_text(doc.row, kwargs)


def test_val_scores_and_headline_match_lmms_eval(docs: dict[str, list[Doc]]) -> None:
    task = VizWizVal()
    ours, theirs = [], []
    levels = set()
    for doc in docs["val"]:
        for prediction in AWKWARD:
            reference = lmms_vizwiz.vizwiz_vqa_process_results(copy.deepcopy(doc.row), [prediction])
            score = task.score(doc, prediction)
            assert score.values["vqa_accuracy"] == reference["exact_match"], (doc.doc_id, prediction)
            ours.append(ScoredDoc(doc, prediction, score))
            theirs.append(reference["exact_match"])
            levels.add(round(reference["exact_match"], 6))
    assert {0.0, 0.3, 0.6, 0.9, 1.0} <= levels
    assert task.to_paper_units(task.aggregate(ours)) == pytest.approx(
        100 * sum(theirs) / len(theirs), abs=1e-9
    )


def test_upload_entries_match_lmms_eval(docs: dict[str, list[Doc]], tmp_path: Path) -> None:
    task = VizWizTest()
    predictions = ["Soup.", "unanswerable", "The Red one", "Two buttons", "Play!"]
    for doc in docs["test"]:
        scored = [ScoredDoc(doc, p, task.score(doc, p)) for p in predictions]
        expected = [
            lmms_vizwiz.vizwiz_vqa_process_results(copy.deepcopy(doc.row), [p])["submission"]
            for p in predictions
        ]
        for i, entry in enumerate(expected):
            path = task.write_submission([scored[i]], tmp_path / f"{doc.doc_id}-{i}.json")
            assert json.loads(path.read_text()) == [entry]
