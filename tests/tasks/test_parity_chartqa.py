"""ChartQA scores equal lmms-eval 0.7.3's `chartqa_process_results` and mean aggregation.

lmms-eval's pipeline (`ConfigurableTask.process_results`) strips the model output before calling the
task's `process_results`; `lmms_score` does the same.
"""

from __future__ import annotations

import lmms_eval.tasks.chartqa.utils as lmms_chartqa
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.chartqa import ChartQA

DOCS_OF = ChartQA

AWKWARD = [
    "14",
    "14.5",
    "15",
    "0.57",
    "0.55",
    "57%",
    "0.6",
    "Brazil",
    "brazil.",
    "The answer is Brazil",
    "0",
    "0.0",
    "45",
    "45%",
    "0.45",
    "1,000",
    "1000",
    "1e3",
    "Yes.",
    " yes",
    "\nYes",
    "23.5",
    "22.4",
    "22.3",
    "two",
    "12%",
    "",
]


def lmms_score(row: dict, prediction: str) -> dict[str, float]:
    return lmms_chartqa.chartqa_process_results(row, [prediction.strip()])


def test_per_sample_scores_match_lmms_eval(docs: list[Doc]) -> None:
    task = ChartQA()
    for doc in docs:
        for prediction in AWKWARD:
            ours = task.score(doc, prediction).values["relaxed"]
            assert ours == lmms_score(doc.row, prediction)["relaxed_overall"], (doc.row["answer"], prediction)


def test_split_accuracies_match_lmms_eval(docs: list[Doc]) -> None:
    task = ChartQA()
    for offset in range(len(AWKWARD)):
        predictions = [AWKWARD[(offset + 3 * i) % len(AWKWARD)] for i in range(len(docs))]
        scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
        theirs = [lmms_score(d.row, p) for d, p in zip(docs, predictions, strict=True)]
        ours = task.aggregate(scored)
        for our_key, their_key in [
            ("relaxed_overall", "relaxed_overall"),
            ("relaxed_human", "relaxed_human_split"),
            ("relaxed_augmented", "relaxed_augmented_split"),
        ]:
            values = [r[their_key] for r in theirs if their_key in r]
            assert ours[our_key] == pytest.approx(sum(values) / len(values)), our_key
