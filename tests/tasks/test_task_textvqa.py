"""TextVQA: the OCR-token prompt (Eagle's edit), the no-OCR variant, and VQA accuracy by hand."""

from __future__ import annotations

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.core.records import GenerationSettings
from eagle_eval.tasks.textvqa import TextVQA, TextVQANoOCR

DOCS_OF = TextVQA

SUFFIX = "\nAnswer the question using a single word or phrase."


def test_docs_are_the_validation_split(docs: list[Doc]) -> None:
    assert [d.doc_id for d in docs] == list(range(9))
    assert {d.split for d in docs} == {"validation"}
    assert TextVQA.sources[0].repo == "lmms-lab/textvqa"
    assert TextVQA.sources[0].split == "validation"


def test_prompt_lists_ocr_tokens_after_the_capitalised_question(docs: list[Doc]) -> None:
    assert TextVQA().prompt(docs[0]) == (
        "What brand is this camera?\nReference OCR token: NIKON, D90\n"
        "Answer the question using a single word or phrase."
    )
    # capitalize() lowercases the rest of the question, as the paper's harness did.
    assert (
        TextVQA()
        .prompt(docs[4])
        .startswith("What is written on the mug?\nReference OCR token: the, best, dad\n")
    )


def test_prompt_with_no_ocr_tokens_keeps_an_empty_ocr_line(docs: list[Doc]) -> None:
    assert TextVQA().prompt(docs[2]) == "How many bottles are there?\nReference OCR token: " + SUFFIX


def test_noocr_variant_drops_the_ocr_line(docs: list[Doc]) -> None:
    assert TextVQANoOCR().prompt(docs[0]) == "What brand is this camera?" + SUFFIX
    assert TextVQANoOCR.paper_protocol is False and TextVQA.paper_protocol is True
    assert TextVQANoOCR.paper_column == TextVQA.paper_column == "TextVQA"


def test_images_and_generation(docs: list[Doc]) -> None:
    (image,) = TextVQA().images(docs[0])
    assert image.mode == "RGB" and image.size == (96, 64)
    # No token limit in the task: the paper's wrapper stopped at EOS or 1,024 tokens.
    assert TextVQA.generation == GenerationSettings(max_new_tokens=1024, until=())
    request = TextVQA().build_request(docs[0])
    assert request.text == TextVQA().prompt(docs[0]) and "<image>" not in request.text


# Predictions with their hand-derived VQA accuracy (answers are normalised the same way):
PREDICTIONS = [
    ("Nikon.", 1.0),  # "nikon" given by 8 annotators
    ("32", 0.3),  # 1 annotator
    ("two", 0.6),  # -> "2", given by 2 annotators
    ("STOP", 0.9),  # 3 annotators
    ("Best Dad!", 1.0),  # "the best dad" and "best dad" both normalise to "best dad"
    ("The year is 1995.", 0.0),  # "year is 1995" is no one's answer
    ("black/white", 0.3),  # -> "black white", given by 1 annotator
    ("Don't walk", 1.0),  # "dont walk" is restored to "don't walk": all 10
    ("John's", 1.0),  # "john 's" on both sides
]


def test_scores_and_headline(docs: list[Doc]) -> None:
    task = TextVQA()
    scored = []
    for doc, (prediction, expected) in zip(docs, PREDICTIONS, strict=True):
        score = task.score(doc, prediction)
        assert score.values["vqa_accuracy"] == pytest.approx(expected, abs=1e-12), prediction
        assert score.extraction == "rule"
        scored.append(ScoredDoc(doc, prediction, score))
    metrics = task.aggregate(scored)
    # (1 + .3 + .6 + .9 + 1 + 0 + .3 + 1 + 1) / 9 = 6.1 / 9
    assert metrics["vqa_accuracy"] == pytest.approx(6.1 / 9)
    assert metrics["n"] == 9
    assert task.to_paper_units(metrics) == pytest.approx(610 / 9)
    assert task.score(docs[1], "32").parsed == "32"


def test_a_row_without_answers_is_an_error(docs: list[Doc]) -> None:
    row = {**docs[0].row, "answers": []}
    with pytest.raises(ValueError, match="has no answers"):
        TextVQA().score(Doc("validation", 0, row), "nikon")
