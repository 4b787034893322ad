"""The units headlines are printed in: one table that the tasks, tables, compare and the CLI all read.

A task's metrics are fractions or points; its headline is stored in the paper's units. Each unit
says how a metric becomes a paper number (`scale`), how many decimals the paper prints, the best
possible value (`full_scale`, which puts every column on a 0-100 scale for ranking), and whether
higher is better.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Units = Literal["percent", "mme_points", "ocrbench_points"]


@dataclass(frozen=True)
class Unit:
    name: Units
    label: str
    scale: float  # metric value × scale = the value in paper units
    decimals: int  # the paper's printed precision
    full_scale: float  # the best possible value in paper units
    higher_is_better: bool = True

    def to_paper(self, metric_value: float) -> float:
        return float(metric_value) * self.scale

    def rounded(self, value: float) -> float:
        """The value as the paper prints it (deltas between tables are taken on these)."""
        return float(round(value)) if self.decimals == 0 else round(value, self.decimals)

    def format(self, value: float | None, signed: bool = False) -> str:
        """At the paper's precision: `71.2`, `1531`; "" for no value."""
        if value is None:
            return ""
        sign = "+" if signed else ""
        if self.decimals == 0:
            return f"{round(value):{sign}d}"
        return f"{value:{sign}.{self.decimals}f}"

    def format_precise(self, value: float, signed: bool = False) -> str:
        """One decimal beyond the paper's, so a regression check shows differences under its rounding;
        whole point values stay whole."""
        sign = "+" if signed else ""
        if self.decimals == 0 and abs(value - round(value)) <= 1e-9:
            return f"{round(value):{sign}d}"
        return f"{value:{sign}.{self.decimals + 1}f}"

    def rank_score(self, value: float) -> float:
        """On a 0-100 scale, larger is better, so columns of different units can be averaged."""
        score = 100.0 * float(value) / self.full_scale
        return score if self.higher_is_better else 100.0 - score


UNITS: dict[str, Unit] = {
    "percent": Unit("percent", "percent", scale=100.0, decimals=1, full_scale=100.0),
    "mme_points": Unit("mme_points", "MME points", scale=1.0, decimals=0, full_scale=2000.0),
    "ocrbench_points": Unit("ocrbench_points", "OCRBench points", scale=1.0, decimals=0, full_scale=1000.0),
}

# The paper table's columns whose units are not percent (reference rows carry no units of their own).
COLUMN_UNITS: dict[str, Units] = {"MME": "mme_points", "OCRBench": "ocrbench_points"}


def unit_of(name: str) -> Unit:
    try:
        return UNITS[name]
    except KeyError:
        raise ValueError(f"unknown units {name!r}; known: {', '.join(UNITS)}") from None


def unit_of_column(column: str) -> Unit:
    return UNITS[COLUMN_UNITS.get(column, "percent")]
