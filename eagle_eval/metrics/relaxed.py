"""ChartQA's relaxed accuracy (Methani et al. 2020, as used by the ChartQA paper and lmms-eval).

A prediction is right when both it and the target read as numbers and the target is non-zero and the
relative error is at most 5%; otherwise the two strings must be equal ignoring case. Numbers are read
with Python's `float` (so "1,000" is not a number, "1e3" and " 12 " are) and a trailing "%" divides
by 100, so "12%" is 0.12 and does not match a target of "12".
"""

from __future__ import annotations

MAX_RELATIVE_CHANGE = 0.05


def parse_relaxed_float(text: str) -> float | None:
    """The number `text` denotes, or None. Trailing percent signs are removed and divide by 100."""
    try:
        if text.endswith("%"):
            return float(text.rstrip("%")) / 100.0
        return float(text)
    except ValueError:
        return None


def relaxed_correct(prediction: str, target: str, max_relative_change: float = MAX_RELATIVE_CHANGE) -> bool:
    """Relaxed correctness of one prediction against one target string."""
    predicted = parse_relaxed_float(prediction)
    expected = parse_relaxed_float(target)
    # A zero target has no relative error; it falls through to the string comparison, as in lmms-eval.
    if predicted is not None and expected is not None and expected != 0:
        return abs(predicted - expected) / abs(expected) <= max_relative_change
    return prediction.lower() == target.lower()
