"""seed scoring against lmms-eval 0.7.3's SEED-Bench functions, on the bundled rows.

lmms-eval scores every row of the test split (its doc_id is the row index, video rows included)
and reports seed_image over the image rows; ours loads the image rows only, under the same ids.
"""

from __future__ import annotations

import datasets
import lmms_eval.tasks.seedbench.utils as lmms_seed
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.seed import SEEDImage
from tests.tasks.conftest import Bundled

DOCS_OF = SEEDImage

ANSWERS = [
    "A", "B", "b", " B", "B.", "(B)", "The answer is B", "\nC", "Blue", "D) OPEN", "", "Yes.", " yes", "no",
    "two", "12%", "1,000", "C\n\nThe cup is on top.", "a. Red",
]  # fmt: skip


def test_prompt_matches(docs: list[Doc]) -> None:
    for doc in docs:
        assert SEEDImage().prompt(doc) == lmms_seed.seed_doc_to_text(doc.row)


def test_seed_image_matches_over_the_whole_split(bundled: Bundled, docs: list[Doc]) -> None:
    """Predictions keyed by lmms-eval's doc_id (index over all rows) score the same here."""
    raw = datasets.load_dataset(str(bundled.root(SEEDImage) / "lmms-lab/SEED-Bench"), split="test")
    by_id = {doc.doc_id: doc for doc in docs}
    task = SEEDImage()
    for offset in range(len(ANSWERS)):
        # A different answer per row each round, so rows and answers meet in many combinations.
        predictions = {i: ANSWERS[(i + offset) % len(ANSWERS)] for i in range(len(raw))}
        seed_image = []
        for doc_id, row in enumerate(raw):  # lmms-eval's enumeration of the split
            result = lmms_seed.seed_process_result(row, [predictions[doc_id]])
            if "seed_image" in result:
                seed_image.append(result["seed_image"])
        assert len(seed_image) == len(docs)
        theirs = lmms_seed.seed_aggregation_result(seed_image)
        scored = [ScoredDoc(d, predictions[i], task.score(d, predictions[i])) for i, d in by_id.items()]
        assert task.aggregate(scored)["accuracy"] == pytest.approx(theirs), offset


def test_per_sample_match(docs: list[Doc]) -> None:
    task = SEEDImage()
    for doc in docs:
        for answer in ANSWERS:
            reference = lmms_seed.seed_process_result(doc.row, [answer])["seed_image"]
            expected = lmms_seed.seed_aggregation_result([reference])
            assert task.score(doc, answer).values["accuracy"] == expected, (doc.doc_id, answer)
