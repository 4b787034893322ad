"""MME scores equal lmms-eval 0.7.3's `mme_process_results` and `mme_aggregate_results`.

lmms-eval's pipeline strips the model output before `mme_process_results`; `lmms_score` does too.
Its results are keyed by perception or cognition, and each key is aggregated separately.
"""

from __future__ import annotations

import lmms_eval.tasks.mme.utils as lmms_mme
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.mme import MME

DOCS_OF = MME

AWKWARD = [
    "Yes",
    "No",
    "yes.",
    "No.",
    " yes",
    "\nno",
    "y",
    "n",
    "Y.",
    "Yes, there is.",
    "No, there is not.",
    "Not at all.",
    "The answer is yes.",
    "There is no dog.",
    "eyes",
    "yes\n\nThe image shows a train.",
    "Maybe",
    "...",
    "",
]


def lmms_score(row: dict, prediction: str) -> dict:
    return lmms_mme.mme_process_results(row, [prediction.strip()])


def test_prompts_match_lmms_eval(docs: list[Doc]) -> None:
    kwargs = {"pre_prompt": "", "post_prompt": "\nAnswer the question using a single word or phrase."}
    for doc in docs:
        assert MME().prompt(doc) == lmms_mme.mme_doc_to_text(doc.row, kwargs)


def test_per_sample_scores_match_lmms_eval(docs: list[Doc]) -> None:
    task = MME()
    for doc in docs:
        for prediction in AWKWARD:
            (theirs,) = lmms_score(doc.row, prediction).values()
            assert task.score(doc, prediction).values["correct"] == theirs["score"], prediction


def test_perception_and_cognition_match_lmms_eval(docs: list[Doc]) -> None:
    task = MME()
    for offset in range(len(AWKWARD)):
        predictions = [AWKWARD[(offset + 7 * i) % len(AWKWARD)] for i in range(len(docs))]
        scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
        by_key: dict[str, list] = {"mme_perception_score": [], "mme_cognition_score": []}
        for d, p in zip(docs, predictions, strict=True):
            for key, value in lmms_score(d.row, p).items():
                by_key[key].append(value)
        ours = task.aggregate(scored)
        assert ours["perception"] == pytest.approx(
            lmms_mme.mme_aggregate_results(by_key["mme_perception_score"])
        )
        assert ours["cognition"] == pytest.approx(
            lmms_mme.mme_aggregate_results(by_key["mme_cognition_score"])
        )
