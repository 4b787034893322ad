"""ChartQA: the paper's prompt and relaxed accuracy overall, human and augmented."""

from __future__ import annotations

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.chartqa import ChartQA

DOCS_OF = ChartQA


def test_prompt_images_and_generation(docs: list[Doc]) -> None:
    request = ChartQA().build_request(docs[0])
    assert (
        request.text
        == "How many food item is shown in the bar graph?\nAnswer the question with a single word."
    )
    assert len(request.images) == 1 and request.images[0].mode == "RGB"
    assert request.generation.max_new_tokens == 16
    assert [d.row["type"] for d in docs] == ["human_test"] * 4 + ["augmented_test"] * 4


def test_scores_and_split_accuracies(docs: list[Doc]) -> None:
    task = ChartQA()
    # answers: 14, 0.57, Brazil, 0 (human); 45%, 1000, Yes, 23.5 (augmented)
    predictions = [
        "14",  # right
        "0.55",  # |0.55-0.57|/0.57 = 0.035: right
        "brazil",  # case-insensitive: right
        "0.0",  # zero target compares strings: wrong
        "45",  # 45 against 0.45: wrong
        "1,000",  # not a number, strings differ: wrong
        "yes.",  # the period stays: wrong
        "22.4\n",  # stripped; 1.1/23.5 = 0.047: right
    ]
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
    assert [s.score.values["relaxed"] for s in scored] == [1, 1, 1, 0, 0, 0, 0, 1]
    metrics = task.aggregate(scored)
    assert metrics["relaxed_overall"] == pytest.approx(4 / 8)
    assert metrics["relaxed_human"] == pytest.approx(3 / 4)
    assert metrics["relaxed_augmented"] == pytest.approx(1 / 4)
    assert (metrics["n_human"], metrics["n_augmented"]) == (4, 4)
    assert task.to_paper_units(metrics) == pytest.approx(50.0)


def test_a_split_with_no_rows_is_none(docs: list[Doc]) -> None:
    task = ChartQA()
    scored = [ScoredDoc(docs[0], "14", task.score(docs[0], "14"))]
    assert task.aggregate(scored)["relaxed_augmented"] is None
