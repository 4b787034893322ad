"""The sqa task on the bundled ScienceQA-IMG rows: prompt text, image, generation, scores, headline."""

from __future__ import annotations

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.sqa import ScienceQA

DOCS_OF = ScienceQA


def test_declaration() -> None:
    task = ScienceQA()
    source = task.sources[0]
    assert (source.repo, source.config, source.split) == ("lmms-lab/ScienceQA", "ScienceQA-IMG", "test")
    assert task.generation.max_new_tokens == 16
    assert task.paper_column == "SQA"


def test_prompt_without_and_with_context(docs: list[Doc]) -> None:
    task = ScienceQA()
    assert task.prompt(docs[0]) == (
        "Which of these states is farthest north?\n"
        "A. West Virginia\nB. Louisiana\nC. Arizona\nD. Oklahoma\n"
        "Answer with the option's letter from the given choices directly."
    )
    assert task.prompt(docs[1]) == (
        "Context: Tree frogs live in rain forests. The tree frog in the picture has sticky pads on its toes.\n"
        "Which animal's feet are also adapted for sticking to smooth surfaces?\n"
        "A. Madagascar day gecko\nB. fire salamander\n"
        "Answer with the option's letter from the given choices directly."
    )


def test_one_rgb_image(docs: list[Doc]) -> None:
    images = ScienceQA().images(docs[0])
    assert len(images) == 1 and images[0].mode == "RGB" and images[0].size == (96, 64)


def test_scores_and_headline(docs: list[Doc]) -> None:
    task = ScienceQA()
    # Golds: A, A, B, B, A, C.
    predictions = [
        "A",  # exact -> correct
        "a",  # case-insensitive -> correct
        "B. The magnitude of the magnetic force is smaller in Pair 1.",  # "B." prefix -> correct
        "(B)",  # neither one character nor "X." -> wrong, unresolved
        "b. Salt Lake City",  # "X." needs a capital -> wrong, unresolved
        "B",  # gold C -> wrong
    ]
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
    assert [s.score.values["accuracy"] for s in scored] == [1, 1, 1, 0, 0, 0]
    assert [s.score.extraction for s in scored] == [
        "rule",
        "rule",
        "rule",
        "unresolved",
        "unresolved",
        "rule",
    ]
    metrics = task.aggregate(scored)
    assert metrics["accuracy"] == pytest.approx(3 / 6)
    assert metrics["extraction/unresolved"] == 2
    # natural science rows 1-3: correct, correct, wrong.
    assert metrics["accuracy/natural science"] == pytest.approx(2 / 3)
    assert task.to_paper_units(metrics) == pytest.approx(50.0)
