"""`eagle-eval power`: what a comparison of a task can detect, and how many samples a drop needs.

With a baseline run, the standard error is the paired one measured between the two runs (it knows
how much the runs agree). With one run it is √2 × the headline's standard error: the error of the
difference of two independent runs of that size, an upper bound for paired runs, whose shared
question difficulty cancels. Either way the numbers scale with 1/√n (eagle_eval.stats.power).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eagle_eval.compare.gate import CompareInputError, GateSettings, Tolerance, common_tasks, compare_runs
from eagle_eval.results.document import load_results
from eagle_eval.stats.power import minimum_detectable_difference, samples_needed


@dataclass(frozen=True)
class PowerRow:
    task: str
    units: str
    n_samples: int
    se_difference: float
    mde: float
    drop: float
    samples_for_drop: int
    basis: str


def power_rows(
    run_path: Path,
    baseline_path: Path | None,
    tasks: Sequence[str] | None,
    drop: float,
    alpha: float,
    power: float,
    allow_data_drift: bool = False,
) -> list[PowerRow]:
    if drop <= 0:
        raise CompareInputError(f"--drop {drop}: give the drop to detect as a positive number, e.g. 1.0")
    if not 0 < power < 1:
        raise CompareInputError(f"--power {power}: give a probability between 0 and 1, such as 0.8")
    rows = []
    goal = _Goal(drop, alpha, power)
    if baseline_path is not None:
        for c in compare_runs(
            run_path, baseline_path, Tolerance(), tasks, GateSettings(alpha=alpha, allow_data_drift=allow_data_drift)
        ):
            if c.paired is None:
                continue
            n = c.paired.n_samples
            rows.append(_row(c.task, c.units, n, c.paired.se, goal, "paired with the baseline"))
        return rows
    run = load_results(run_path)  # a run folder, its results.json, or an output folder holding one run
    for name in common_tasks(run, run, tasks):
        result = run.results[name]
        headline = (result.uncertainty or {}).get("headline")
        if not headline or headline.get("se") is None:
            continue
        se = math.sqrt(2.0) * float(headline["se"])
        n = int(headline["n_samples"])
        rows.append(
            _row(name, result.headline.units, n, se, goal, "two independent runs: √2 × SE")
        )
    if not rows:
        raise CompareInputError(
            "no task has a standard error in these results; re-score them with this eagle-eval"
        )
    return rows


@dataclass(frozen=True)
class _Goal:
    """The drop to detect, at which level and with which power."""

    drop: float
    alpha: float
    power: float


def _row(task: str, units: str, n: int, se: float, goal: _Goal, basis: str) -> PowerRow:
    drop, alpha, power = goal.drop, goal.alpha, goal.power
    return PowerRow(
        task=task,
        units=units,
        n_samples=n,
        se_difference=se,
        mde=minimum_detectable_difference(se, n, alpha, power),
        drop=drop,
        samples_for_drop=samples_needed(se, n, drop, alpha, power),
        basis=basis,
    )
