"""How `compare` prints its comparisons: one table row per task, and the verdict lines under it."""

from __future__ import annotations

import math
from collections.abc import Sequence

from eagle_eval.compare.gate import TaskComparison
from eagle_eval.core.units import unit_of

STATUS_LABELS = {"regression": "REGRESSION", "noise": "within noise", "ok": "ok", "skipped": "skipped",
                 "missing": "MISSING"}


def _fmt(value: float | None, units: str, signed: bool = False) -> str:
    # NaN is "no such figure" (the MDE of two identical runs, whose difference has no spread).
    return "-" if value is None or math.isnan(value) else unit_of(units).format_precise(value, signed=signed)


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2g}" if value < 0.001 else f"{value:.3f}"


def comparison_headers(comparisons: Sequence[TaskComparison]) -> list[str]:
    level = next((c.paired.level for c in comparisons if c.paired is not None), 0.95)
    return [
        "task", "baseline", "new", "delta", f"{level:.0%} CI", "p", "p (Holm)", "test", "flips +/-",
        "max drop", "MDE 80%", "status", "note",
    ]  # fmt: skip


def comparison_rows(comparisons: Sequence[TaskComparison]) -> list[list[str]]:
    rows = []
    for c in comparisons:
        paired = c.paired
        interval = (
            "-"
            if paired is None
            else f"[{_fmt(paired.ci_low, c.units, True)}, {_fmt(paired.ci_high, c.units, True)}]"
        )
        rows.append(
            [
                c.task,
                _fmt(c.baseline, c.units),
                _fmt(c.new, c.units),
                _fmt(c.delta, c.units, signed=True),
                interval,
                _p(paired.p_value if paired else None),
                _p(c.p_holm),
                "-" if paired is None else paired.test,
                "-" if paired is None else f"+{paired.gained}/-{paired.lost}",
                f"{c.max_drop:g}",
                _fmt(c.mde, c.units),
                STATUS_LABELS.get(c.status, c.status),
                c.note,
            ]
        )
    return rows


def verdict_lines(comparisons: Sequence[TaskComparison], alpha: float, gate: str) -> list[str]:
    """What the gate decided, in words, one line per kind of outcome."""
    lines = []
    noise = [c.task for c in comparisons if c.status == "noise"]
    if noise:
        reason = (
            f"its {1 - alpha:.0%} interval does not lie beyond the tolerance"
            if gate == "lower-bound"
            else f"not significant at alpha {alpha:g} after Holm's correction"
        )
        lines.append(f"within noise (drop beyond the tolerance, but {reason}): {', '.join(noise)}")
    for c in comparisons:
        lines.extend(f"--allow-data-drift: compared although {drift}" for drift in c.data_drift)
    missing = [c.task for c in comparisons if c.status == "missing"]
    if missing:
        lines.append(f"INCOMPLETE: in the baseline but missing from the new run: {', '.join(missing)} "
                     "(run them, or compare the others with --tasks)")
    failed = [c.task for c in comparisons if c.status == "regression"]
    none = "no regression among the tasks compared" if missing else "no regression"
    lines.append(f"REGRESSION: {', '.join(failed)}" if failed else none)
    return lines
