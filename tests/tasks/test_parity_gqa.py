"""GQA scores equal lmms-eval 0.7.3's on the same rows and awkward predictions.

lmms-eval scores GQA through its generic pipeline: `ConfigurableTask.process_results` strips the
model output and calls the registered `exact_match` metric with the task yaml's options. That method
is called here on a minimal stand-in for the task object, so the strip and the metric are lmms-eval's.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import lmms_eval.api.metrics as lmms_metrics
import lmms_eval.api.task as lmms_task
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.gqa import GQA

DOCS_OF = GQA

AWKWARD = [
    "Yes.",
    " yes",
    "yes\n",
    "\nno",
    "No, it is not.",
    "The answer is yes.",
    "A horse.",
    "horse",
    "Horse!",
    "LEFT",
    "left side",
    "t-shirt",
    "T shirt",
    "tshirt.",
    "man\n\nThe man is wearing a hat.",
    "black and white",
    "black & white",
    "black-and-white",
    "two",
    "2",
    "",
]

# gqa.yaml: metric exact_match with ignore_case and ignore_punctuation, doc_to_target "answer".
_STAND_IN = SimpleNamespace(
    OUTPUT_TYPE="generate_until",
    config=SimpleNamespace(process_results=None, doc_to_choice=None),
    doc_to_target=lambda doc: doc["answer"],
    multiple_target=False,
    _metric_fn_list={"exact_match": lmms_metrics.exact_match_fn},
    _metric_fn_kwargs={"exact_match": {"ignore_case": True, "ignore_punctuation": True}},
)
# The method is wrapped in a retry decorator; the undecorated function fails fast.
_process_results = inspect.unwrap(lmms_task.ConfigurableTask.process_results)


def lmms_score(row: dict, prediction: str) -> float:
    return float(_process_results(_STAND_IN, row, [prediction])["exact_match"])


def test_per_sample_scores_match_lmms_eval(docs: list[Doc]) -> None:
    task = GQA()
    for doc in docs:
        for prediction in AWKWARD + [doc.row["answer"], doc.row["answer"].upper() + "."]:
            ours = task.score(doc, prediction).values["accuracy"]
            assert ours == lmms_score(doc.row, prediction), (doc.row["answer"], prediction)


def test_accuracy_matches_lmms_eval_mean(docs: list[Doc]) -> None:
    task = GQA()
    for offset in range(len(AWKWARD)):
        predictions = [AWKWARD[(offset + i) % len(AWKWARD)] for i in range(len(docs))]
        predictions[offset % len(docs)] = docs[offset % len(docs)].row["answer"]
        scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
        theirs = lmms_metrics.mean([lmms_score(d.row, p) for d, p in zip(docs, predictions, strict=True)])
        assert task.aggregate(scored)["accuracy"] == pytest.approx(theirs)
