"""POPE: prompt, exact yes/no parsing, pooled and per-split metrics, and the model's yes-ratio."""

from __future__ import annotations

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.core.records import GenerationSettings
from eagle_eval.tasks.pope import POPE

DOCS_OF = POPE


def test_docs_prompt_images_generation(docs: list[Doc]) -> None:
    assert len(docs) == 12 and {d.split for d in docs} == {"test"}
    assert [d.row["category"] for d in docs[::4]] == ["adversarial", "popular", "random"]
    assert POPE().prompt(docs[0]) == (
        "Is there a snowboard in the image?\nAnswer the question using a single word or phrase."
    )
    (image,) = POPE().images(docs[0])
    assert image.mode == "RGB"
    assert POPE.generation == GenerationSettings(max_new_tokens=128)
    assert POPE.headline_metric == "f1" and POPE.paper_column == "POPE"


# Ground truths by row: adversarial yes yes no no | popular yes no yes no | random no yes yes no
PREDICTIONS = [
    "Yes",  # TP
    "Yes.",  # not exactly yes/no: unresolved, wrong, and not a false negative
    "no",  # TN
    " yes",  # FP
    "yes\n",  # TP
    "No",  # TN
    "no",  # FN
    "There is no chair.",  # unresolved, wrong
    "no",  # TN
    "yes",  # TP
    "yes",  # TP
    "no",  # TN
]


def test_per_sample_scores(docs: list[Doc]) -> None:
    task = POPE()
    scores = [task.score(doc, p) for doc, p in zip(docs, PREDICTIONS, strict=True)]
    assert [s.values["accuracy"] for s in scores] == [1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1]
    assert [s.extraction for s in scores].count("unresolved") == 2
    assert scores[1].parsed is None and scores[3].parsed == "yes"


def test_pooled_and_per_split_metrics(docs: list[Doc]) -> None:
    task = POPE()
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, PREDICTIONS, strict=True)]
    m = task.aggregate(scored)
    # Pooled: TP 4, FP 1, FN 1, TN 4, 2 unresolved.
    assert m["accuracy"] == pytest.approx(8 / 12)
    assert m["precision"] == pytest.approx(4 / 5)
    assert m["recall"] == pytest.approx(4 / 5)
    assert m["f1"] == pytest.approx(0.8)
    assert task.to_paper_units(m) == pytest.approx(80.0)
    # The model said yes 5 times out of 12; the ground truth is yes 6 times.
    assert m["yes_ratio"] == pytest.approx(5 / 12)
    assert m["ground_truth_yes_ratio"] == pytest.approx(6 / 12)
    assert m["n_unparsed"] == 2
    # adversarial: TP 1, FP 1, TN 1 -> P 1/2, R 1, F1 2/3; popular: TP 1, FN 1, TN 1 -> P 1, R 1/2, F1 2/3;
    # random: all four right -> F1 1.
    assert m["adversarial/precision"] == pytest.approx(0.5) and m["adversarial/recall"] == pytest.approx(1.0)
    assert m["adversarial/f1"] == pytest.approx(2 / 3)
    assert m["popular/f1"] == pytest.approx(2 / 3)
    assert m["random/f1"] == pytest.approx(1.0)
    assert m["adversarial/accuracy"] == pytest.approx(0.5)
    assert m["f1_mean_of_splits"] == pytest.approx(7 / 9)


def test_bad_ground_truth_is_an_error(docs: list[Doc]) -> None:
    doc = Doc("test", 0, {**docs[0].row, "answer": "maybe"})
    with pytest.raises(ValueError, match="not 'yes' or 'no'"):
        POPE().score(doc, "yes")
