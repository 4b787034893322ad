"""Parity with lmms-eval 0.7.3's VQAv2 functions: prompts, per-sample VQA accuracy on validation."""

from __future__ import annotations

import copy

import lmms_eval.tasks.vqav2.utils as lmms_vqav2
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.vqav2 import VQAv2TestDev, VQAv2Val

DOCS_OF = {"validation": VQAv2Val, "testdev": VQAv2TestDev}

SUFFIX = "\nAnswer the question using a single word or phrase."
AWKWARD = [
    "The answer is B", "(B)", "B.", "Yes.", " yes", "yes", "no", "No.", "two", "Two", "2", "3", "three",
    "12%", "1,000", "1000", "1,000 (about)", "Black", "black.", "An umbrella.", "umbrella", "a phone",
    "The sport is tennis.", "tennis", "many", "", "\ntennis", "yes\n\nThe sky is blue.", "John's",
]  # fmt: skip


def test_prompts_match_lmms_eval(docs: dict[str, list[Doc]]) -> None:
    kwargs = {"pre_prompt": "", "post_prompt": SUFFIX}
    for doc in docs["validation"] + docs["testdev"]:
        assert VQAv2Val().prompt(doc) == lmms_vqav2.vqav2_doc_to_text(doc.row, kwargs)


def test_validation_scores_and_headline_match_lmms_eval(docs: dict[str, list[Doc]]) -> None:
    task = VQAv2Val()
    ours, theirs = [], []
    levels = set()
    for doc in docs["validation"]:
        for prediction in AWKWARD:
            reference = lmms_vqav2.vqav2_process_results(copy.deepcopy(doc.row), [prediction])
            score = task.score(doc, prediction)
            assert score.values["vqa_accuracy"] == reference["exact_match"], (doc.doc_id, prediction)
            assert score.parsed == reference["submission"]["answer"]
            ours.append(ScoredDoc(doc, prediction, score))
            theirs.append(reference["exact_match"])
            levels.add(round(reference["exact_match"], 6))
    assert {0.0, 0.3, 0.6, 0.9, 1.0} <= levels
    assert task.to_paper_units(task.aggregate(ours)) == pytest.approx(
        100 * sum(theirs) / len(theirs), abs=1e-9
    )


def test_testdev_upload_answers_are_normalised_unlike_lmms_eval_0_7_3(docs: dict[str, list[Doc]]) -> None:
    # lmms-eval 0.7.3 uploads the raw text for rows without answers; Eagle's vendored copy (and
    # LLaVA's converter) upload the EvalAI-normalised answer. We upload what the paper's harness did.
    doc = docs["testdev"][0]
    reference = lmms_vqav2.vqav2_process_results(copy.deepcopy(doc.row), ["A cup."])
    assert reference["submission"] == {"question_id": 1000000, "answer": "A cup."}
    assert VQAv2TestDev().score(doc, "A cup.").parsed == "cup"
