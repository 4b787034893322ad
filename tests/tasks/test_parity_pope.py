"""Parity with lmms-eval 0.7.3's POPE functions: prompts, accuracy/precision/recall/F1 on the pooled
set and per split, and the documented yes-ratio fix."""

from __future__ import annotations

import random

import lmms_eval.tasks.pope.utils as lmms_pope
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.pope import POPE

DOCS_OF = POPE

SUFFIX = "\nAnswer the question using a single word or phrase."
ANSWERS = [
    "yes",
    "no",
    "Yes",
    "No",
    "Yes.",
    "no.",
    " yes",
    "yes\n",
    "\nno",
    "maybe",
    "There is a dog.",
    "",
    "B",
]


def reference_metrics(docs: list[Doc], predictions: list[str]) -> dict[str, float]:
    rows = [
        lmms_pope.pope_process_results(d.row, [p])["pope_accuracy"]
        for d, p in zip(docs, predictions, strict=True)
    ]
    return {
        "accuracy": lmms_pope.pope_aggregate_accuracy(rows),
        "precision": lmms_pope.pope_aggregate_precision(rows),
        "recall": lmms_pope.pope_aggregate_recall(rows),
        "f1": lmms_pope.pope_aggregate_f1_score(rows),
        "ground_truth_yes_ratio": lmms_pope.pope_aggregate_yes_ratio(rows),
    }


def test_prompts_match_lmms_eval(docs: list[Doc]) -> None:
    for doc in docs:
        assert POPE().prompt(doc) == lmms_pope.pope_doc_to_text(
            doc.row, {"pre_prompt": "", "post_prompt": SUFFIX}
        )


@pytest.mark.parametrize("seed", range(25))
def test_metrics_match_lmms_eval_pooled_and_per_split(docs: list[Doc], seed: int) -> None:
    rng = random.Random(seed)
    predictions = [rng.choice(ANSWERS) for _ in docs]
    task = POPE()
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
    for doc, prediction, s in zip(docs, predictions, scored, strict=True):
        reference = lmms_pope.pope_process_results(doc.row, [prediction])["pope_accuracy"]
        assert s.score.values["accuracy"] == reference["score"]
    ours = task.aggregate(scored)
    for key, value in reference_metrics(docs, predictions).items():
        assert ours[key] == value, key
    for category in ("adversarial", "popular", "random"):
        picked = [i for i, d in enumerate(docs) if d.row["category"] == category]
        reference = reference_metrics([docs[i] for i in picked], [predictions[i] for i in picked])
        for key in ("accuracy", "precision", "recall", "f1"):
            assert ours[f"{category}/{key}"] == reference[key], (category, key)


def test_yes_ratio_is_the_models_not_the_ground_truths(docs: list[Doc]) -> None:
    # Documented fix: lmms-eval's pope_yes_ratio counts the ground truth's "yes" answers, so it is
    # the same for every model. Here the model says yes to everything: its yes-ratio is 1.
    predictions = ["yes"] * len(docs)
    task = POPE()
    ours = task.aggregate([ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)])
    reference = reference_metrics(docs, predictions)
    assert reference["ground_truth_yes_ratio"] == 0.5  # 6 of the 12 fixture questions are "yes"
    assert ours["yes_ratio"] == 1.0
    assert ours["ground_truth_yes_ratio"] == reference["ground_truth_yes_ratio"]
