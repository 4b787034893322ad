"""POPE's yes/no parser and its metrics, by the reference scorer's rules (the module docstring).

Parsing: lowercase and strip, then only the exact strings "yes" and "no" count. Metrics: "yes" is the
positive class; an unparsed answer is wrong for accuracy, not a predicted yes for precision, and not a
false negative for recall (only an explicit "no" on a true "yes" is); a zero denominator gives 0.
"""

from __future__ import annotations

import pytest

from eagle_eval.metrics.yesno import ground_truth_yes_no, parse_exact_yes_no, yes_no_metrics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("Yes", "yes"),
        ("NO", "no"),
        (" yes\n", "yes"),  # surrounding whitespace stripped
        ("Yes.", None),  # punctuation is not stripped: not exactly yes
        ("yes, there is a dog", None),
        ("No, there is not.", None),
        ("y", None),  # no lone letters (MME's parser takes them; POPE's does not)
        ("yes yes", None),
        ("nope", None),
        ("", None),
    ],
)
def test_parse_exact_yes_no(text: str, expected: str | None) -> None:
    assert parse_exact_yes_no(text) == expected


def test_ground_truth_must_be_yes_or_no() -> None:
    assert ground_truth_yes_no(" Yes ") == "yes" and ground_truth_yes_no("no") == "no"
    with pytest.raises(ValueError, match="ground-truth answer 'maybe' is not 'yes' or 'no'"):
        ground_truth_yes_no("maybe")
    with pytest.raises(ValueError, match="ground-truth answer 'Yes.' is not"):
        ground_truth_yes_no("Yes.")
    with pytest.raises(ValueError, match="ground-truth answer None is not"):
        ground_truth_yes_no(None)  # type: ignore[arg-type]


def test_metrics_of_a_table_worked_by_hand() -> None:
    truths = ["yes", "yes", "yes", "yes", "no", "no", "no", "no"]
    predictions = ["yes", "yes", "no", None, "yes", "no", "no", None]
    # Truth yes: 2 yes (tp 2), 1 no (fn 1), 1 unparsed (neither). Truth no: 1 yes (fp 1), 2 no (tn 2),
    # 1 unparsed. Accuracy (2 + 2) / 8 = 0.5; precision 2 / (2 + 1) = 2/3; recall 2 / (2 + 1) = 2/3;
    # F1 = 2·(2/3)(2/3) / (4/3) = 2/3; yes_ratio: 3 answered yes of 8; ground truth 4 yes of 8.
    metrics = yes_no_metrics(truths, predictions)
    assert metrics == {
        "accuracy": 0.5,
        "precision": pytest.approx(2 / 3),
        "recall": pytest.approx(2 / 3),
        "f1": pytest.approx(2 / 3),
        "yes_ratio": 3 / 8,
        "ground_truth_yes_ratio": 0.5,
        "n_unparsed": 2,
        "n": 8,
    }


@pytest.mark.parametrize(
    ("truths", "predictions", "expected"),
    [
        # All right: tp 1, tn 1; every ratio 1.
        (["yes", "no"], ["yes", "no"], {"accuracy": 1.0, "precision": 1.0, "recall": 1.0, "f1": 1.0}),
        # All swapped: tp 0, fp 1, fn 1: precision 0/1, recall 0/1, F1 0 (its denominator 0 + 0 is 0).
        (["yes", "no"], ["no", "yes"], {"accuracy": 0.0, "precision": 0.0, "recall": 0.0, "f1": 0.0}),
        # Never "yes": tp + fp = 0, so precision is 0 by convention; recall 0/2.
        (["yes", "yes", "no"], ["no", "no", "no"],
         {"accuracy": 1 / 3, "precision": 0.0, "recall": 0.0, "f1": 0.0}),
        # Nothing parsed: no tp, fp or fn at all; every denominator is 0.
        (["yes", "no"], [None, None], {"accuracy": 0.0, "precision": 0.0, "recall": 0.0, "f1": 0.0}),
        # Unparsed answers on true "yes" do not lower recall: tp 1, fn 0, so recall 1/1 while accuracy is 1/3.
        (["yes", "yes", "yes"], ["yes", None, None],
         {"accuracy": 1 / 3, "precision": 1.0, "recall": 1.0, "f1": 1.0}),
        # No positives in the truth, one false yes: tp 0, fp 1: precision 0/1, recall 0/0 = 0.
        (["no", "no"], ["yes", "no"], {"accuracy": 0.5, "precision": 0.0, "recall": 0.0, "f1": 0.0}),
    ],
)  # fmt: skip
def test_edge_tables(truths: list[str], predictions: list[str | None], expected: dict[str, float]) -> None:
    metrics = yes_no_metrics(truths, predictions)  # type: ignore[arg-type]
    assert {key: metrics[key] for key in expected} == pytest.approx(expected)


def test_inputs_of_different_lengths_or_none_are_refused() -> None:
    with pytest.raises(ValueError, match="2 ground-truth labels but 1 predictions"):
        yes_no_metrics(["yes", "no"], ["yes"])
    with pytest.raises(ValueError, match="at least one sample"):
        yes_no_metrics([], [])
