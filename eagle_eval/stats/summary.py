"""The `uncertainty` block of a task's entry in results.json, from its per-sample score rows.

Every statistic a task declares is first checked against the task's own aggregate: when its point
value does not reproduce the metric, no error bar is reported for that metric and `unavailable`
says why, rather than attaching an interval to a different number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from eagle_eval.stats.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED
from eagle_eval.stats.clustered import DEFAULT_LEVEL
from eagle_eval.stats.statistics import MeanByGroup, Statistic
from eagle_eval.stats.table import SampleTable, StatsInputError
from eagle_eval.stats.uncertainty import estimate

UNCERTAINTY_VERSION = 1


def _agrees(ours: float, theirs: Any) -> bool:
    if not isinstance(theirs, int | float) or isinstance(theirs, bool):
        return False
    return math.isclose(ours, float(theirs), rel_tol=1e-9, abs_tol=1e-9)


def task_uncertainty(  # noqa: PLR0913 -- the interval settings are keyword-only with defaults, as compare_paired takes them
    statistics: Mapping[str, Statistic],
    rows: Sequence[Mapping[str, Any]],
    metrics: Mapping[str, Any],
    *,
    headline_metric: str,
    headline_scale: float,
    unit_key: str | None,
    level: float = DEFAULT_LEVEL,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any] | None:
    """{version, unit, n_units, headline, metrics, unavailable}; None when there are no samples."""
    if not rows:
        return None
    table = SampleTable.from_rows(rows)
    block: dict[str, Any] = {
        "version": UNCERTAINTY_VERSION,
        "unit": unit_key,
        "n_units": table.n_units,
        "level": level,
        "headline": None,
        "metrics": {},
        "unavailable": {},
    }
    for name, statistic in _expanded(statistics, table, block["unavailable"]).items():
        reported = metrics.get(name)
        try:
            point = statistic.point(table)
        except (StatsInputError, KeyError, ValueError) as err:
            block["unavailable"][name] = f"{statistic.describe()}: {err}"
            continue
        if not _agrees(point, reported):
            block["unavailable"][name] = f"{statistic.describe()} gives {point!r}, the metric is {reported!r}"
            continue
        found = estimate(statistic, table, level=level, resamples=resamples, seed=seed)
        block["metrics"][name] = found.to_json()
        if name == headline_metric:
            block["headline"] = estimate(
                statistic, table, scale=headline_scale, level=level, resamples=resamples, seed=seed
            ).to_json()
    return block


def _expanded(
    statistics: Mapping[str, Statistic], table: SampleTable, unavailable: dict[str, str]
) -> dict[str, Statistic]:
    """The declared statistics, each `MeanByGroup` pattern replaced by its groups' means."""
    expanded: dict[str, Statistic] = {}
    for name, statistic in statistics.items():
        if not isinstance(statistic, MeanByGroup):
            expanded[name] = statistic
            continue
        try:
            expanded.update(statistic.expand(table, name))
        except StatsInputError as err:
            unavailable[name] = f"{statistic.describe()}: {err}"
    return expanded


def headline_error_text(block: Mapping[str, Any] | None, units: str) -> tuple[str, str]:
    """("± se", "[low, high]") of a results.json `uncertainty` block at the paper's precision; "" when absent."""
    from eagle_eval.core.units import unit_of

    headline = (block or {}).get("headline") or {}
    if headline.get("se") is None or headline.get("ci_low") is None or headline.get("ci_high") is None:
        return "", ""
    unit = unit_of(units)
    interval = f"[{unit.format(headline['ci_low'])}, {unit.format(headline['ci_high'])}]"
    return f"± {unit.format(headline['se'])}", interval
