"""Regression check between two runs: per task baseline, new and delta of the headline.

A task regresses when its headline dropped by more than its tolerance, in paper units (points of
percent, MME points, OCRBench points). The default tolerance is 0.5; `--max-drop` takes a global
number, per-task `name=value` pairs, or both (`0.3,textvqa=1.0`). Differences are taken on the
values as stored and compared after rounding to 1e-6, so 71.2 → 70.7 with tolerance 0.5 passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eagle_eval.results import RunResults
from eagle_eval.units import unit_of

DEFAULT_MAX_DROP = 0.5


class CompareInputError(ValueError):
    """Inputs that cannot be compared (exit code 2)."""


@dataclass(frozen=True)
class Tolerance:
    default: float = DEFAULT_MAX_DROP
    per_task: tuple[tuple[str, float], ...] = ()

    def for_task(self, task: str) -> float:
        return dict(self.per_task).get(task, self.default)


@dataclass
class TaskComparison:
    task: str
    units: str
    baseline: float | None
    new: float | None
    max_drop: float
    status: str  # "ok", "regression", "skipped"
    note: str = ""

    @property
    def delta(self) -> float | None:
        return None if self.baseline is None or self.new is None else self.new - self.baseline


def parse_max_drop(spec: str | None) -> Tolerance:
    if spec is None or not spec.strip():
        return Tolerance()
    default = DEFAULT_MAX_DROP
    per_task: dict[str, float] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        try:
            number = float(value if sep else name)
        except ValueError as err:
            raise CompareInputError(
                f"--max-drop: cannot read {part!r}; use a number (0.5) or task=number (textvqa=1.0)"
            ) from err
        if number < 0:
            raise CompareInputError(f"--max-drop: {part!r} is negative; tolerances are drops, give a positive number")
        if sep:
            per_task[name.strip()] = number
        else:
            default = number
    return Tolerance(default=default, per_task=tuple(sorted(per_task.items())))


def compare_runs(
    new: RunResults, baseline: RunResults, tolerance: Tolerance, tasks: Sequence[str] | None = None
) -> list[TaskComparison]:
    """One comparison per task present in both runs (optionally only `tasks`); raises when none is common."""
    common = [name for name in baseline.results if name in new.results]
    if tasks:
        missing = [t for t in tasks if t not in common]
        if missing:
            raise CompareInputError(
                f"task(s) {', '.join(missing)} not in both runs; common tasks: {', '.join(common) or 'none'}"
            )
        common = [t for t in common if t in tasks]
    if not common:
        raise CompareInputError(
            f"no common tasks: baseline has {', '.join(baseline.results) or 'none'}, "
            f"new has {', '.join(new.results) or 'none'}"
        )
    comparisons = []
    for name in common:
        old_result, new_result = baseline.results[name], new.results[name]
        old_value, new_value = old_result.headline.value, new_result.headline.value
        max_drop = tolerance.for_task(name)
        notes = []
        if old_result.subset != new_result.subset or old_result.n_samples != new_result.n_samples:
            notes.append(f"different sample sets ({old_result.n_samples} vs {new_result.n_samples})")
        if old_value is None or new_value is None:
            status = "skipped"
            notes.append("no headline (server-scored)")
        elif round(old_value - new_value, 6) > max_drop:
            status = "regression"
        else:
            status = "ok"
        comparisons.append(
            TaskComparison(
                task=name,
                units=new_result.headline.units,
                baseline=old_value,
                new=new_value,
                max_drop=max_drop,
                status=status,
                note="; ".join(notes),
            )
        )
    if all(c.status == "skipped" for c in comparisons):
        raise CompareInputError("no common task has a headline value in both runs")
    return comparisons


def has_regression(comparisons: Sequence[TaskComparison]) -> bool:
    return any(c.status == "regression" for c in comparisons)


def _fmt(value: float | None, units: str, signed: bool = False) -> str:
    return "-" if value is None else unit_of(units).format_precise(value, signed=signed)


def comparison_rows(comparisons: Sequence[TaskComparison]) -> list[list[str]]:
    return [
        [
            c.task,
            _fmt(c.baseline, c.units),
            _fmt(c.new, c.units),
            _fmt(c.delta, c.units, signed=True),
            f"{c.max_drop:g}",
            c.status.upper() if c.status == "regression" else c.status,
            c.note,
        ]
        for c in comparisons
    ]


COMPARISON_HEADERS = ["task", "baseline", "new", "delta", "max drop", "status", "note"]
