"""ChartQA relaxed accuracy: numeric tolerance, percent rule, zero targets, string fallback."""

from __future__ import annotations

import pytest

from eagle_eval.metrics.relaxed import parse_relaxed_float, relaxed_correct


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14", 14.0),
        (" 12 ", 12.0),  # float() ignores surrounding whitespace
        ("1e3", 1000.0),
        ("12%", 0.12),
        ("12%%", 0.12),  # every trailing percent sign goes, the value is divided once
        ("1,000", None),
        ("ten", None),
        ("", None),
    ],
)
def test_parse_relaxed_float(text: str, expected: float | None) -> None:
    assert parse_relaxed_float(text) == expected


@pytest.mark.parametrize(
    ("prediction", "target", "expected"),
    [
        ("14", "14", True),
        ("14.5", "14", True),  # |14.5-14|/14 = 0.036 <= 0.05
        ("15", "14", False),  # 1/14 = 0.071
        ("22.4", "23.5", True),  # 1.1/23.5 = 0.0468
        ("22.3", "23.5", False),  # 1.2/23.5 = 0.0511
        ("12%", "12", False),  # 0.12 against 12
        ("45", "45%", False),  # 45 against 0.45
        ("0.45", "45%", True),
        ("1,000", "1000", False),  # not a number, and the strings differ
        ("1000.0", "1000", True),
        ("0", "0", True),  # zero target: string comparison, equal
        ("0.0", "0", False),  # zero target: string comparison, different
        ("yes", "Yes", True),  # case-insensitive string match
        ("Brazil.", "Brazil", False),  # no punctuation stripping
        ("-5", "-5.2", True),  # |−5+5.2|/5.2 = 0.038
    ],
)
def test_relaxed_correct(prediction: str, target: str, expected: bool) -> None:
    assert relaxed_correct(prediction, target) is expected
