"""GQA: the two-config join, the paper's prompt, and exact-match scoring on hand-derived predictions."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.data.fixtures import gqa as gqa_fixture
from eagle_eval.data.fixtures.hub_snapshot import write_snapshot
from eagle_eval.data.fixtures.images import draw_image
from eagle_eval.data.loading import DataError
from eagle_eval.tasks.gqa import GQA

DOCS_OF = GQA


def load_isolated(root: Path) -> list[Doc]:
    # datasets caches a local snapshot under a key that ignores its path, so a snapshot of the same
    # repo loaded earlier could be served instead; a private cache dir keeps each load honest.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets.config, "HF_DATASETS_CACHE", str(root / "hf-cache"))
        return GQA().load_docs(root)


def test_docs_join_each_question_to_its_image(docs: list[Doc]) -> None:
    assert [d.doc_id for d in docs] == list(range(8))
    assert {d.split for d in docs} == {"testdev"}
    # The fixture's images carry their id as text and a seed-specific background; rows of the same
    # imageId must share pixels, rows of different imageIds must not.
    by_image = {}
    for doc in docs:
        pixels = doc.row["image"].convert("RGB").tobytes()
        by_image.setdefault(doc.row["imageId"], set()).add(pixels)
    assert all(len(p) == 1 for p in by_image.values())
    assert len({next(iter(p)) for p in by_image.values()}) == 3


def test_prompt_images_and_generation(docs: list[Doc]) -> None:
    task = GQA()
    request = task.build_request(docs[0])
    assert request.text == "Is the sky blue?\nAnswer the question using a single word or phrase."
    assert len(request.images) == 1 and request.images[0].mode == "RGB" and request.images[0].size == (96, 64)
    assert request.generation.max_new_tokens == 16 and request.generation.until == ()
    assert [s.config for s in task.sources] == ["testdev_balanced_instructions", "testdev_balanced_images"]


def test_scores_and_accuracy(docs: list[Doc]) -> None:
    task = GQA()
    # answers: yes, no, horse, left, t-shirt, man, black and white, no
    predictions = [
        "Yes.",  # "yes." -> punctuation deleted -> yes: right
        " no",  # stripped: right
        "A horse",  # the article stays: wrong
        "Left",  # case ignored: right
        "tshirt",  # the target's hyphen is deleted too: right
        "man\n\nThe man is wearing a hat.",  # only surrounding whitespace is stripped: wrong
        "black and white",  # right
        "yes",  # wrong
    ]
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
    assert [s.score.values["accuracy"] for s in scored] == [1, 1, 0, 1, 1, 0, 1, 0]
    assert all(s.score.extraction == "rule" for s in scored)
    metrics = task.aggregate(scored)
    assert metrics["accuracy"] == pytest.approx(5 / 8)
    assert task.to_paper_units(metrics) == pytest.approx(62.5)


def test_missing_image_is_a_data_error(tmp_path: Path) -> None:
    questions = datasets.Dataset.from_dict(
        gqa_fixture.question_rows(), features=gqa_fixture.QUESTION_FEATURES
    )
    only_one_image = datasets.Dataset.from_dict(
        {"id": ["n161313"], "image": [draw_image(1)]}, features=gqa_fixture.IMAGE_FEATURES
    )
    write_snapshot(
        tmp_path,
        gqa_fixture.REPO,
        {
            "testdev_balanced_instructions": {"testdev": questions},
            "testdev_balanced_images": {"testdev": only_one_image},
        },
    )
    with pytest.raises(DataError, match="n288870"):  # the first question's image
        load_isolated(tmp_path)
