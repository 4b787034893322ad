"""GQA's exact match (lmms-eval's `exact_match` with ignore_case and ignore_punctuation).

The rule, from the module docstring: strip the prediction (never the target), lowercase both, delete
every character of `string.punctuation` from both, then compare the strings as they are. Each expected
value below follows that rule by hand.
"""

from __future__ import annotations

import pytest

from eagle_eval.metrics.exact import exact_match, normalize_exact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes", "yes"),
        ("T-Shirt", "tshirt"),  # the hyphen is punctuation: deleted, not replaced by a space
        ("Don't.", "dont"),
        ("black and white", "black and white"),  # inner spaces kept
        ("yes .", "yes "),  # the period goes, the space before it stays
        ("3.5 cm", "35 cm"),  # a decimal point is punctuation too
        ("$1,000", "1000"),
        ("ÉCOLE", "école"),  # lowercasing is Unicode-wide
        ("“yes”", "“yes”"),  # curly quotes are not ASCII punctuation
        ("", ""),
    ],
)
def test_normalize_exact(text: str, expected: str) -> None:
    assert normalize_exact(text) == expected


@pytest.mark.parametrize(
    ("prediction", "target", "expected"),
    [
        ("yes", "yes", True),
        ("Yes", "yes", True),  # casing ignored
        ("YES.", "yes", True),  # trailing punctuation deleted
        ("  no\n", "no", True),  # the prediction is stripped
        ("no", " no", False),  # ... the target is not: " no" keeps its space
        ("yes .", "yes", False),  # "yes " against "yes": the space left by the period counts
        ("tshirt", "t-shirt", True),  # both lose the hyphen
        ("t shirt", "t-shirt", False),  # "t shirt" against "tshirt"
        ("shirt", "t-shirt", False),
        ("black  and white", "black and white", False),  # inner spaces are not collapsed
        ("35", "3.5", True),  # "3.5" loses its point: the rule cannot tell 35 from 3.5
        ("3.5 cm", "3.5", False),  # a unit is not removed
        ("the horse", "horse", False),  # articles are not removed (unlike the VQA normaliser)
        ("", "", True),
        ("", "yes", False),
        ("...", "", True),  # all punctuation: empty on both sides
    ],
)
def test_exact_match(prediction: str, target: str, expected: bool) -> None:
    assert exact_match(prediction, target) is expected
