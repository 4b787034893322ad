"""Means of per-sample scores, overall and per group, shared by the tasks' `aggregate` methods.

`statistics.fmean` sums exactly, so for 0/1 verdicts it equals `sum(values) / len(values)`.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

from eagle_eval.task import ScoredDoc

GroupKey = TypeVar("GroupKey", bound=Hashable)


def mean_of(values: Iterable[float], empty: float | None = None) -> float | None:
    """The mean of the values, or `empty` when there are none."""
    values = list(values)
    return statistics.fmean(values) if values else empty


def mean_score(scored: Sequence[ScoredDoc], key: str, empty: float | None = None) -> float | None:
    """The mean of each sample's `score.values[key]`, or `empty` for no samples."""
    return mean_of((item.score.values[key] for item in scored), empty)


def grouped_means(pairs: Iterable[tuple[GroupKey, float]]) -> dict[GroupKey, float]:
    """The mean value of each group from (group, value) pairs, groups in sorted order."""
    by_group: dict[GroupKey, list[float]] = defaultdict(list)
    for group, value in pairs:
        by_group[group].append(value)
    return {group: statistics.fmean(by_group[group]) for group in sorted(by_group)}  # type: ignore[type-var]


def extraction_counts(scored: Sequence[ScoredDoc], paths: Sequence[str], prefix: str = "") -> dict[str, int]:
    """How many samples each extraction path scored, zeros included, keyed `{prefix}{path}`."""
    return {f"{prefix}{path}": sum(item.score.extraction == path for item in scored) for path in paths}
