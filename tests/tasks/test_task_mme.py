"""MME: the paper's prompt, yes/no parsing, perception and cognition over image pairs."""

from __future__ import annotations

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.mme import MME

DOCS_OF = MME


def test_prompt_images_and_generation(docs: list[Doc]) -> None:
    task = MME()
    assert docs[0].row["question"] == "Is there a train in this image? Please answer yes or no."
    request = task.build_request(docs[0])
    assert (
        request.text == "Is there a train in this image?\nAnswer the question using a single word or phrase."
    )
    assert request.generation.max_new_tokens == 16
    assert len(request.images) == 1 and request.images[0].mode == "RGB"
    assert task.units == "mme_points" and task.headline_metric == "perception"


def test_scores_perception_and_cognition(docs: list[Doc]) -> None:
    task = MME()
    # rows come in pairs (Yes question, No question) per image
    predictions = [
        "Yes",  # existence a: right
        "No.",  # right -> image 200
        "yes, there is a bus",  # existence b: "yes" in the first four characters: right
        "Yes",  # wrong -> image 50; existence = (200 + 50) / 2 = 125
        "There are two dogs.",  # count: no yes/no -> other: wrong
        "n",  # lone "n" -> no: right -> count = 50
        "y",  # OCR: lone "y" -> yes: right
        "Not at all",  # "not " holds "no": right -> OCR = 200
        "No",  # code_reasoning: wrong
        "Yes",  # wrong -> 0
        " Yes",  # numerical_calculation: right
        "no",  # right -> 200
    ]
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
    assert [s.score.values["correct"] for s in scored] == [1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1]
    assert [s.score.extraction for s in scored].count("unresolved") == 1
    assert scored[4].score.parsed == "other"
    metrics = task.aggregate(scored)
    assert metrics["category_existence"] == pytest.approx(125.0)
    assert metrics["category_count"] == pytest.approx(50.0)
    assert metrics["category_OCR"] == pytest.approx(200.0)
    assert metrics["perception"] == pytest.approx(375.0)  # 125 + 50 + 200
    assert metrics["cognition"] == pytest.approx(200.0)  # 0 + 200
    assert (metrics["perception_categories"], metrics["cognition_categories"]) == (3, 2)
    assert metrics["unresolved"] == 1 and metrics["n_images"] == 6
    assert task.to_paper_units(metrics) == pytest.approx(375.0)


def test_an_unpaired_question_is_an_error(docs: list[Doc]) -> None:
    task = MME()
    scored = [ScoredDoc(d, "yes", task.score(d, "yes")) for d in docs[:3]]
    with pytest.raises(ValueError, match="existence/000000018150.jpg"):
        task.aggregate(scored)
