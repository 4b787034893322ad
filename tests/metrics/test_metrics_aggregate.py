"""Means of per-sample scores, overall and per group, as the tasks' `aggregate` methods use them."""

from __future__ import annotations

import pytest

from eagle_eval.core.records import Doc, SampleScore, ScoredDoc
from eagle_eval.metrics.aggregate import (
    accuracy_by_group,
    extraction_counts,
    grouped_means,
    mean_of,
    mean_score,
)


def scored(accuracy: float, extraction: str = "rule", subject: str | None = None, doc_id: int = 0) -> ScoredDoc:
    return ScoredDoc(Doc("test", doc_id, {"subject": subject}), "", SampleScore({"accuracy": accuracy}, extraction))


@pytest.mark.parametrize(
    ("values", "empty", "expected"),
    [
        ([1, 0, 1], None, 2 / 3),
        ([0.5], None, 0.5),
        ([0.1] * 10, None, 0.1),  # summed exactly: 1.0 / 10, where a float loop gives 0.9999999999999999
        ([], None, None),  # no values: the `empty` value
        ([], 0.0, 0.0),
        ((v for v in (2.0, 4.0)), None, 3.0),  # any iterable, read once
    ],
)
def test_mean_of(values, empty: float | None, expected: float | None) -> None:
    assert mean_of(values, empty) == expected


def test_mean_score_reads_one_key() -> None:
    docs = [scored(1.0), scored(0.0), scored(0.25)]
    assert mean_score(docs, "accuracy") == pytest.approx(1.25 / 3)
    assert mean_score([], "accuracy") is None and mean_score([], "accuracy", empty=0.0) == 0.0
    with pytest.raises(KeyError, match="relaxed"):
        mean_score(docs, "relaxed")


def test_grouped_means_in_sorted_group_order() -> None:
    means = grouped_means([("b", 1.0), ("a", 0.0), ("b", 0.0), ("a", 1.0), ("a", 1.0), ("c", 0.5)])
    # a: (0 + 1 + 1) / 3; b: (1 + 0) / 2; c: 0.5 / 1
    assert means == {"a": pytest.approx(2 / 3), "b": 0.5, "c": 0.5}
    assert list(means) == ["a", "b", "c"]
    assert list(grouped_means([(3, 1.0), (1, 0.0), (2, 1.0)])) == [1, 2, 3]  # numeric keys sort as numbers
    assert grouped_means([]) == {}


def test_extraction_counts_include_zeros() -> None:
    docs = [scored(1.0, "rule"), scored(0.0, "judge"), scored(1.0, "rule"), scored(0.0, "fallback")]
    assert extraction_counts(docs, ("rule", "judge", "unresolved")) == {"rule": 2, "judge": 1, "unresolved": 0}
    assert extraction_counts(docs, ("rule",), prefix="extraction/") == {"extraction/rule": 2}
    assert extraction_counts([], ("rule",)) == {"rule": 0}


def test_accuracy_by_group_worked_by_hand() -> None:
    docs = [
        scored(1.0, "rule", "physics", 0),
        scored(0.0, "unresolved", "physics", 1),
        scored(1.0, "rule", "biology", 2),
        scored(1.0, "rule", None, 3),  # no group: counts overall, in no group's mean
    ]
    metrics = accuracy_by_group(docs, lambda item: item.doc.row["subject"], str.title)
    # Overall 3 of 4; physics 1 of 2; biology 1 of 1; 3 read by rule, 1 unresolved.
    assert metrics == {
        "accuracy": 0.75,
        "count": 4,
        "extraction/rule": 3,
        "extraction/unresolved": 1,
        "accuracy/Biology": 1.0,
        "accuracy/Physics": 0.5,
    }
    assert list(metrics)[-2:] == ["accuracy/Biology", "accuracy/Physics"]  # groups sorted by key


def test_accuracy_by_group_of_nothing() -> None:
    assert accuracy_by_group([], lambda item: None, str) == {"accuracy": None, "count": 0}
