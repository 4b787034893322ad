"""sqa scoring against lmms-eval 0.7.3's ScienceQA functions, on the bundled rows."""

from __future__ import annotations

import statistics

import lmms_eval.tasks.scienceqa.utils as lmms_sqa
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.sqa import ScienceQA

DOCS_OF = ScienceQA

ANSWERS = [
    "A", "B", "C", "b", "a", "B.", "B. Provo", "b. provo", "(B)", "The answer is B", " B", "\nB", "B\n",
    "Provo", "Yes.", " yes", "no", "C.", "", "AB", "A)", "two", "12%", "1,000", "B.\n\nBecause it is.",
]  # fmt: skip

DEFAULT_PROMPT_KWARGS = {
    "format": "default",
    "pre_prompt": "",
    "post_prompt": "\nAnswer with the option's letter from the given choices directly.",
}


def test_prompt_matches(docs: list[Doc]) -> None:
    for doc in docs:
        assert ScienceQA().prompt(doc) == lmms_sqa.sqa_doc_to_text(doc.row, DEFAULT_PROMPT_KWARGS)


def test_per_sample_and_headline_match(docs: list[Doc]) -> None:
    task = ScienceQA()
    scored, theirs = [], []
    for doc in docs:
        for answer in ANSWERS:
            ours = task.score(doc, answer)
            reference = lmms_sqa.sqa_process_results(doc.row, [answer])["exact_match"]
            assert ours.values["accuracy"] == reference, (doc.doc_id, answer)
            scored.append(ScoredDoc(doc, answer, ours))
            theirs.append(reference)
    headline = task.aggregate(scored)["accuracy"]
    assert 0 < headline < 1
    assert headline == pytest.approx(statistics.mean(theirs))  # lmms-eval aggregates with a mean
