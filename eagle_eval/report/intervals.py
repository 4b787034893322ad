"""Intervals for the report, from the statistics of eagle_eval.stats; never invented here.

A task's headline interval is the `uncertainty.headline` block of results.json (absent in older
files and for server-scored splits: then none is shown). The difference against a baseline is
`eagle_eval.stats.compare_paired` on both runs' scores files with the task's own headline
statistic: clustered where the task clusters, bootstrapped where the headline is not a mean.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eagle_eval.api.task import Task
from eagle_eval.core.units import UNITS, unit_of
from eagle_eval.report.view import Interval
from eagle_eval.stats import SampleTable, StatsInputError, compare_paired, read_score_rows
from eagle_eval.stats.summary import recorded_headline


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def headline_interval(entry: Mapping[str, Any]) -> Interval | None:
    """The 95% interval of a task's headline, in paper units, as results.json records it, read by the
    interval rule every command shares (eagle_eval.stats.summary.recorded_headline): none when the
    run is too small for one."""
    uncertainty = entry.get("uncertainty")
    if not isinstance(uncertainty, Mapping) or not isinstance(uncertainty.get("headline"), Mapping):
        return None
    headline = entry.get("headline")
    units = headline.get("units") if isinstance(headline, Mapping) else None
    recorded = recorded_headline(uncertainty, units if isinstance(units, str) and units in UNITS else "percent")
    if recorded is None or recorded.interval is None:
        return None
    block = uncertainty["headline"]
    unit = uncertainty.get("unit")
    method = str(block.get("method") or "?") + (f", clustered by {unit}" if unit and block.get("method") == "clustered" else "")
    if recorded.rule:
        method += f", {recorded.rule} interval"
    level = _number(block.get("level")) or 0.95
    low, high = recorded.interval
    return Interval(low, high, f"{level:.0%} interval, {method} (results.json)", recorded.se)


def missing_interval_reason(entry: Mapping[str, Any]) -> str:
    """What the report says where a task has no interval: the rule found the samples too few to bound
    the score (as `table` and `run` print it), or the results hold no uncertainty at all."""
    uncertainty = entry.get("uncertainty")
    return "n too small" if isinstance(uncertainty, Mapping) and uncertainty.get("headline") else "none recorded"


def baseline_difference(
    task: Task, units: str, run_dir: Path, baseline_dir: Path
) -> tuple[Interval | None, dict[str, Any], str | None]:
    """(interval of run − baseline, the paired comparison's figures, why there is none)."""
    statistic = task.statistics().get(task.headline_metric)
    if statistic is None:
        return None, {}, f"{task.name} declares no statistic for its headline"
    name = f"{task.name}.jsonl"
    try:
        base = SampleTable.from_rows(read_score_rows(baseline_dir / "scores" / name))
        new = SampleTable.from_rows(read_score_rows(run_dir / "scores" / name))
        paired = compare_paired(statistic, base, new, scale=unit_of(units).scale, where=task.name)
    except (StatsInputError, KeyError, ValueError, OSError) as err:
        return None, {}, f"no interval for the baseline difference: {err}"
    figures = paired.to_json()
    if figures.get("ci_low") is None or figures.get("ci_high") is None:
        return None, figures, "no interval for the baseline difference: the statistic is undefined on these samples"
    method = f"{paired.level:.0%} paired interval, {paired.method}; {paired.test} p = {paired.p_value:.3g}"
    return Interval(paired.ci_low, paired.ci_high, method, _number(figures.get("se"))), figures, None
