"""The mmmu task on the bundled MMMU rows: prompts, inline images, generation, scores, headline."""

from __future__ import annotations

import random

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.mmmu import MMMU

DOCS_OF = MMMU


def pixels(image) -> bytes:
    return image.convert("RGB").tobytes()


def test_declaration() -> None:
    task = MMMU()
    assert task.generation.max_new_tokens == 16
    assert task.generation.until == ()
    assert task.sources[0].repo == "lmms-lab/MMMU" and task.sources[0].split == "validation"
    assert task.paper_column == "MMMU" and task.units == "percent"


def test_loads_every_row_in_order(docs: list[Doc]) -> None:
    assert [d.doc_id for d in docs] == list(range(8))
    assert docs[0].row["id"] == "validation_Art_Theory_1"


def test_prompts_are_the_authors_text(docs: list[Doc]) -> None:
    task = MMMU()
    assert task.prompt(docs[0]) == (
        "Which artist painted <image>?\nA. Monet\nB. Manet\nC. Degas\nD. Renoir\n"
        "Answer with the option letter from the given choices directly."
    )
    assert task.prompt(docs[1]) == (
        "Compare the circuits <image> and <image>. Which carries the larger current?\n"
        "A. <image>\nB. <image>\nC. They are equal\n"
        "Answer with the option letter from the given choices directly."
    )
    assert task.prompt(docs[2]) == (
        "The triangle in <image> has base 5 and height 5. What is its area?\n"
        "Answer the question using a single word or phrase."
    )


def test_images_follow_the_references(docs: list[Doc]) -> None:
    task = MMMU()
    # Row 1 refers to image 1, image 2, then again to both in its options: four inline slots.
    row = docs[1].row
    assert [pixels(i) for i in task.images(docs[1])] == [
        pixels(row["image_1"]),
        pixels(row["image_2"]),
        pixels(row["image_1"]),
        pixels(row["image_2"]),
    ]
    # Row 4's images are referenced only by its options.
    assert len(task.images(docs[4])) == 3
    # Row 5 refers to image 2 before image 1.
    row = docs[5].row
    assert [pixels(i) for i in task.images(docs[5])] == [pixels(row["image_2"]), pixels(row["image_1"])]
    for doc in docs:  # one image per placeholder, always
        assert task.prompt(doc).count("<image>") == len(task.images(doc))


def test_missing_referenced_image_names_the_column(docs: list[Doc]) -> None:
    row = dict(docs[0].row, image_1=None)
    with pytest.raises(ValueError, match="image_1"):
        MMMU().images(Doc("validation", 0, row))


def test_scores_and_headline(docs: list[Doc]) -> None:
    task = MMMU()
    predictions = [
        "B",  # Art_Theory, gold B: "B " found -> correct
        "(A)",  # Physics, gold A: bracket -> correct
        "12.5",  # Math open, gold 12.5 -> correct
        "Paris",  # History open, gold Rome -> wrong
        "The answer is B.",  # Math MC, gold C -> B, wrong
        "Nothing changed",  # Clinical_Medicine, gold D: two words, no letter -> seeded guess
        "A. $4",  # Economics, gold A: "A." -> correct
        "1,000 bytes",  # Computer_Science open, gold 1000: number 1000.0 -> correct
    ]
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
    guess = random.Random("mmmu-fallback:validation_Clinical_Medicine_4").choice(list("ABCD"))
    guessed_right = float(guess == "D")
    assert [s.score.values["accuracy"] for s in scored] == [1, 1, 1, 0, 0, guessed_right, 1, 1]
    assert [s.score.extraction for s in scored] == ["rule"] * 5 + ["fallback"] + ["rule"] * 2
    assert scored[5].score.parsed == guess

    metrics = task.aggregate(scored)
    assert metrics["accuracy"] == pytest.approx((5 + guessed_right) / 8)
    assert metrics["count"] == 8
    assert metrics["extraction/fallback"] == 1 and metrics["extraction/rule"] == 7
    # Science = Physics (1) + Math open (1) + Math MC (0).
    assert metrics["accuracy/Science"] == pytest.approx(2 / 3)
    assert metrics["accuracy/Humanities and Social Science"] == 0.0
    assert metrics["accuracy/Health and Medicine"] == guessed_right
    assert metrics["accuracy/Math"] == pytest.approx(1 / 2)
    assert task.to_paper_units(metrics) == pytest.approx(100 * (5 + guessed_right) / 8)


def test_rescoring_is_stable(docs: list[Doc]) -> None:
    task = MMMU()
    first = [task.score(d, "no idea").parsed for d in docs]
    random.seed(99)
    assert [task.score(d, "no idea").parsed for d in docs] == first
