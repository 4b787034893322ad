"""The seed task on the bundled SEED-Bench rows: the image-only filter, doc ids, prompt, scores."""

from __future__ import annotations

import datasets
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.seed import SEEDImage
from tests.tasks.conftest import Bundled

DOCS_OF = SEEDImage


def test_declaration() -> None:
    task = SEEDImage()
    assert task.sources[0].repo == "lmms-lab/SEED-Bench" and task.sources[0].split == "test"
    assert task.generation.max_new_tokens == 1024 and task.generation.until == ()
    assert task.paper_column == "SEED"
    assert task.filters_rows  # predictions for the video rows are skipped when a file is scored


def test_only_image_rows_keeping_their_split_index(bundled: Bundled, docs: list[Doc]) -> None:
    # Rows 1 and 4 of the fixture are video questions.
    assert [d.doc_id for d in docs] == [0, 2, 3, 5, 6]
    raw = datasets.load_dataset(str(bundled.root(SEEDImage) / "lmms-lab/SEED-Bench"), split="test")
    for doc in docs:
        assert doc.row["question_id"] == raw[doc.doc_id]["question_id"]
        assert doc.row["data_type"] == "image"


def test_prompt_and_images(docs: list[Doc]) -> None:
    task = SEEDImage()
    assert task.prompt(docs[1]) == (
        "What colour is the car?\nA. Red\nB. Blue\nC. Green\nD. White\n"
        "Answer with the option's letter from the given choices directly."
    )
    images = task.images(docs[1])
    assert len(images) == 1 and images[0].mode == "RGB"


def test_scores_and_headline(docs: list[Doc]) -> None:
    task = SEEDImage()
    # Golds of the image rows: B, A, C, D, A.
    predictions = [
        "B",  # correct
        "a",  # first character, compared case-insensitively -> correct
        "  C. On top",  # stripped, first character C -> correct
        "The answer is D",  # first character T -> wrong
        "",  # nothing -> wrong, unresolved
    ]
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
    assert [s.score.values["accuracy"] for s in scored] == [1, 1, 1, 0, 0]
    assert [s.score.parsed for s in scored] == ["B", "a", "C", "T", ""]
    assert scored[4].score.extraction == "unresolved"
    metrics = task.aggregate(scored)
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    assert metrics["count"] == 5 and metrics["extraction/unresolved"] == 1
    assert metrics["accuracy/question_type_9"] == 0.0  # the sign question (row 5)
    assert task.to_paper_units(metrics) == pytest.approx(60.0)
