"""Means of per-sample scores, overall and per group, shared by the tasks' `aggregate` methods.

`statistics.fmean` sums exactly, so for 0/1 verdicts it equals `sum(values) / len(values)`.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from eagle_eval.core.records import ScoredDoc

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


def accuracy_by_group(
    scored: Sequence[ScoredDoc],
    group_of: Callable[[ScoredDoc], GroupKey | None],
    label: Callable[[GroupKey], str],
) -> dict[str, Any]:
    """Letter-answer tasks' metrics: accuracy, count, rule/unresolved counts, then `accuracy/<label>`.

    `group_of` gives a sample's group (None leaves it out of the per-group means); groups are in
    sorted order of their keys.
    """
    if not scored:
        return {"accuracy": None, "count": 0}
    metrics: dict[str, Any] = {
        "accuracy": mean_score(scored, "accuracy"),
        "count": len(scored),
        **extraction_counts(scored, ("rule", "unresolved"), prefix="extraction/"),
    }
    pairs = ((group_of(item), item.score.values["accuracy"]) for item in scored)
    by_group = grouped_means((group, value) for group, value in pairs if group is not None)
    metrics.update({f"accuracy/{label(group)}": value for group, value in by_group.items()})
    return metrics
