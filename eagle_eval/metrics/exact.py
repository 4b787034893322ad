"""Exact match after lowercasing and deleting punctuation (GQA's metric in lmms-eval).

lmms-eval scores GQA with its `exact_match` metric (`ignore_case`, `ignore_punctuation`): the
prediction, already stripped of surrounding whitespace by its pipeline, and the target are lowercased,
every character of `string.punctuation` is deleted, and the two strings must then be equal. Inner and
trailing spaces left behind by deleted punctuation still count ("yes ." does not match "yes").
"""

from __future__ import annotations

import string

_DELETE_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_exact(text: str) -> str:
    """Lowercase, then delete ASCII punctuation (the order lmms-eval applies them)."""
    return text.lower().translate(_DELETE_PUNCTUATION)


def exact_match(prediction: str, target: str) -> bool:
    """True when the stripped prediction equals the target after `normalize_exact` on both.

    Only the prediction is stripped: lmms-eval strips model output before scoring, never the target.
    """
    return normalize_exact(prediction.strip()) == normalize_exact(target)
