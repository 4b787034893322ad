"""The `uncertainty` block of a task's entry in results.json, from its per-sample score rows.

Every statistic a task declares is first checked against the task's own aggregate: when its point
value does not reproduce the metric, no error bar is reported for that metric and `unavailable`
says why, rather than attaching an interval to a different number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eagle_eval.stats.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED
from eagle_eval.stats.clustered import DEFAULT_LEVEL
from eagle_eval.stats.statistics import MeanByGroup, Statistic
from eagle_eval.stats.table import SampleTable, StatsInputError
from eagle_eval.stats.uncertainty import estimate

# 2: each estimate says which rule found its interval (`interval`), and a null interval is "n too
# small" (eagle_eval.stats.score_interval). Version 1 blocks are still read, through `recorded_headline`.
UNCERTAINTY_VERSION = 2
NO_INTERVAL_TEXT = "n too small"


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


@dataclass(frozen=True)
class RecordedHeadline:
    """A headline's standard error and interval as results.json records them, in paper units; either
    None when none can be given (`NO_INTERVAL_TEXT`): a standard error of 0 (samples that all agree)
    is not shown as "± 0", and a zero-width interval is not shown at all."""

    se: float | None
    interval: tuple[float, float] | None
    rule: str | None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def recorded_headline(block: Mapping[str, Any] | None, units: str) -> RecordedHeadline | None:
    """What every command prints as a run's headline error: None when results.json has no estimate.

    Blocks written before the interval rule (version 1) are read by the same rule's bounds: the
    interval is cut to [0, the units' full scale], and a zero-width one is not an interval.
    """
    from eagle_eval.core.units import unit_of

    headline = (block or {}).get("headline") if isinstance(block, Mapping) else None
    if not isinstance(headline, Mapping):
        return None
    se, low, high = (_number(headline.get(key)) for key in ("se", "ci_low", "ci_high"))
    if se is None and low is None and high is None and _number(headline.get("value")) is None:
        return None
    rule = headline.get("interval") if isinstance(headline.get("interval"), str) else None
    if se == 0:
        se = None  # samples with no spread: a standard error of 0 is no error bar
    if low is None or high is None:
        return RecordedHeadline(se, None, None)
    top = unit_of(units).full_scale
    low, high = min(max(low, 0.0), top), min(max(high, 0.0), top)
    if high <= low:
        return RecordedHeadline(se, None, None)
    return RecordedHeadline(se, (low, high), rule)


def headline_error_numbers(block: Mapping[str, Any] | None, units: str) -> tuple[float, float, float] | None:
    """(se, low, high) of `recorded_headline` for tables; NaN for a figure that cannot be given."""
    recorded = recorded_headline(block, units)
    if recorded is None:
        return None
    low, high = recorded.interval or (math.nan, math.nan)
    return (math.nan if recorded.se is None else recorded.se, low, high)


def headline_error_text(block: Mapping[str, Any] | None, units: str) -> tuple[str, str]:
    """("± se", "[low, high]") of a results.json `uncertainty` block at the paper's precision; "" when
    absent; the interval "n too small" where none can be given."""
    from eagle_eval.core.units import unit_of

    recorded = recorded_headline(block, units)
    if recorded is None:
        return "", ""
    unit = unit_of(units)
    error = "" if recorded.se is None or recorded.interval is None else f"± {unit.format(recorded.se)}"
    if recorded.interval is None:
        return error, NO_INTERVAL_TEXT
    low, high = recorded.interval
    return error, f"[{unit.format(low)}, {unit.format(high)}]"
