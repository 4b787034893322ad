"""Parity with lmms-eval 0.7.3's TextVQA functions: prompts and per-sample VQA accuracy."""

from __future__ import annotations

import copy

import lmms_eval.tasks.textvqa.utils as lmms_textvqa
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.textvqa import TextVQA, TextVQANoOCR

DOCS_OF = TextVQA

SUFFIX = "\nAnswer the question using a single word or phrase."
AWKWARD = [
    "The answer is B", "(B)", "B.", "Yes.", " yes", "no", "two", "12%", "1,000", "Nikon.", "\nnikon",
    "nikon. It is a camera.", "the nikon", "A", "", "don't walk", "Dont Walk!", "john's", "JOHN'S",
    "black / white", "black/white", "3.5", "1.", "None", "ten", "yes, it is", "stop\n\nThe sign says stop.",
]  # fmt: skip


def predictions_for(doc: Doc) -> list[str]:
    """The awkward set plus variants of each of the doc's answers (hitting 1, 2, 3 and 4+ annotators)."""
    variants = []
    for answer in dict.fromkeys(doc.row["answers"]):
        variants += [answer, answer.upper(), f"{answer}.", f"The {answer}", f" {answer}\n"]
    return AWKWARD + variants


def test_prompts_match_lmms_eval_with_eagle_settings(docs: list[Doc]) -> None:
    # Eagle's vendored task turns on `ocr: true`; lmms-eval 0.7.3 defaults to false.
    for doc in docs:
        with_ocr = lmms_textvqa.textvqa_doc_to_text(
            doc.row, {"pre_prompt": "", "post_prompt": SUFFIX, "ocr": True}
        )
        without = lmms_textvqa.textvqa_doc_to_text(
            doc.row, {"pre_prompt": "", "post_prompt": SUFFIX, "ocr": False}
        )
        assert TextVQA().prompt(doc) == with_ocr
        assert TextVQANoOCR().prompt(doc) == without


def test_per_sample_scores_and_headline_match_lmms_eval(docs: list[Doc]) -> None:
    task = TextVQA()
    ours, theirs = [], []
    hit_levels = set()
    for doc in docs:
        for prediction in predictions_for(doc):
            # lmms-eval normalises the doc's answers in place: give it a fresh copy every call.
            reference = lmms_textvqa.textvqa_process_results(copy.deepcopy(doc.row), [prediction])
            score = task.score(doc, prediction)
            assert score.values["vqa_accuracy"] == reference["exact_match"], (doc.doc_id, prediction)
            assert score.parsed == reference["submission"]["answer"]
            ours.append(ScoredDoc(doc, prediction, score))
            theirs.append(reference["exact_match"])
            hit_levels.add(round(reference["exact_match"], 6))
    # The predictions reach every accuracy level (0, 1, 2, 3 and 4+ matching annotators).
    assert {0.0, 0.3, 0.6, 0.9, 1.0} <= hit_levels
    assert task.to_paper_units(task.aggregate(ours)) == pytest.approx(
        100 * sum(theirs) / len(theirs), abs=1e-9
    )
