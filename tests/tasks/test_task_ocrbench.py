"""OCRBench: the stripped question as prompt, substring scoring, the score out of 1000."""

from __future__ import annotations

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.core.records import SampleScore
from eagle_eval.tasks.ocrbench import OCRBench

DOCS_OF = OCRBench

# One prediction per fixture row, with the verdict worked out by hand.
PREDICTIONS = [
    ("The text is private.", 1),  # IIIT5K "PRIVATE": lowercased substring
    ("HOTE L", 0),  # SVT "Hotel"
    ("Ｃｏｆｆｅｅ", 1),  # WordArt "Coffee": fullwidth folded
    ("meting", 0),  # IAM "meeting"
    ("4 512", 0),  # ORAND "4512": spaces count outside HME100k
    ("XQVTB", 1),  # Non-Semantic "xqvtb"
    ("It is a Nokia\nphone", 1),  # textVQA "nokia" | "Nokia 3310"
    ("3/3/98", 0),  # docVQA "March 3, 1998" | "3/3/1998"
    ("12/10/98", 1),  # FUNSD
    ("x^{2}+B", 1),  # HME100k "x ^ { 2 } + B": spaces removed, case kept
]


def test_prompt_images_and_generation(docs: list[Doc]) -> None:
    task = OCRBench()
    assert task.prompt(docs[0]) == "what is written in the image?"
    assert (
        task.prompt(docs[6]) == "what brand is the phone?"
    )  # the hub question is " what brand is the phone? "
    request = task.build_request(docs[0])
    assert request.generation.max_new_tokens == 128
    assert len(request.images) == 1 and request.images[0].mode == "RGB"
    assert docs[9].row["answer"] == ["x ^ { 2 } + B"]


def test_scores_and_subset_scaling(docs: list[Doc]) -> None:
    task = OCRBench()
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, (p, _) in zip(docs, PREDICTIONS, strict=True)]
    assert [s.score.values["correct"] for s in scored] == [v for _, v in PREDICTIONS]
    metrics = task.aggregate(scored)
    # 6 of 10 right; a subset is scaled to 1000: 600.
    assert metrics["correct"] == 6 and metrics["scaled_from_n"] == 10
    assert metrics["ocrbench_score"] == pytest.approx(600.0)
    assert task.to_paper_units(metrics) == pytest.approx(600.0)
    # Text recognition: 3 of its 6 rows right, scaled to its 300 questions: 150. The others have one
    # row each, scaled to 200 (or 100 for handwritten maths).
    assert metrics["text_recognition"] == pytest.approx(150.0) and metrics["text_recognition_n"] == 6
    assert metrics["scene_text_vqa"] == pytest.approx(200.0)
    assert metrics["doc_oriented_vqa"] == pytest.approx(0.0)
    assert metrics["key_information_extraction"] == pytest.approx(200.0)
    assert metrics["handwritten_math_expression"] == pytest.approx(100.0)
    # Pure: aggregating again gives the same numbers.
    assert task.aggregate(scored) == metrics


def test_full_benchmark_score_is_the_integer_count() -> None:
    task = OCRBench()
    layout = [
        ("Regular Text Recognition", 300, 120),
        ("Scene Text-centric VQA", 200, 150),
        ("Doc-oriented VQA", 200, 80),
        ("Key Information Extraction", 200, 90),
        ("Handwritten Mathematical Expression Recognition", 100, 10),
    ]
    scored = []
    for question_type, size, right in layout:
        for i in range(size):
            doc = Doc("test", len(scored), {"question_type": question_type})
            scored.append(ScoredDoc(doc, "", SampleScore({"correct": int(i < right)})))
    metrics = task.aggregate(scored)
    assert metrics["ocrbench_score"] == 450 and isinstance(metrics["ocrbench_score"], int)  # 120+150+80+90+10
    assert "scaled_from_n" not in metrics
    assert (metrics["text_recognition"], metrics["handwritten_math_expression"]) == (120, 10)
