"""How sure a leaderboard's order is: rank intervals from a paired bootstrap over the shared samples.

For each ranking column, every ranked run whose folder holds the column task's per-sample scores
(`scores/<task>.jsonl`) is restricted to the samples all of them scored, and the same resamples of
units (images, MMBench questions) are drawn for all of them (eagle_eval.stats.bootstrap), so what
varies between rows is their answers, not the questions drawn. Each resample gives each row a score
by the ranking rule (the task's own headline statistic, on the 0-100 scale, averaged over the
columns), and so a rank; a row's rank interval holds the middle 95% of its ranks. A row is tied with
the first row of its group, sharing its rank, unless that row beats it in at least 97.5% of the
resamples; then it starts a group of its own. Published rows have no samples: their score stays as printed in every resample, they have no
interval, and the table marks them so. A row without scores files keeps its rank by value.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eagle_eval.core.units import unit_of
from eagle_eval.results.ranking import column_score
from eagle_eval.results.table_rows import TableRow
from eagle_eval.stats.bootstrap import bootstrap_totals
from eagle_eval.stats.table import SampleTable, StatsInputError, paired_tables, read_score_rows

RESAMPLES = 1000
SEED = 20240601
LEVEL = 0.95


def apply_rank_intervals(ranked: Sequence[TableRow], columns: Sequence[str], resamples: int = RESAMPLES) -> bool:
    """Give each ranked run its rank interval and merge neighbours whose order is not significant.

    `ranked` is best first. Returns whether any row had samples to resample.
    """
    if len(ranked) < 2 or not columns:
        return False
    draws = np.array([[row.score or 0.0] * resamples for row in ranked], dtype=float)
    resampled = np.zeros(len(ranked), dtype=bool)
    for column in columns:
        found = _column_draws(ranked, column, resamples)
        for index, column_draws in found.items():
            draws[index] += (column_draws - column_score(column, float(ranked[index].values[column] or 0.0))) / len(columns)
            resampled[index] = True
    if not resampled.any():
        return False
    # A row's rank in a resample: one more than the rows scoring strictly higher (ties share a rank).
    order_draws = (draws[None, :, :] > draws[:, None, :]).sum(axis=1) + 1
    low, high = (1 - LEVEL) / 2 * 100, (1 + LEVEL) / 2 * 100
    for index, row in enumerate(ranked):
        if resampled[index]:
            row.rank_interval = (int(np.percentile(order_draws[index], low, method="lower")),
                                 int(np.percentile(order_draws[index], high, method="higher")))
    _tie_insignificant(ranked, draws, resampled)
    return True


def _tie_insignificant(ranked: Sequence[TableRow], draws: np.ndarray, resampled: np.ndarray) -> None:
    """A row shares the rank of the first row of its group unless that row beats it significantly."""
    leader = 0
    for index in range(1, len(ranked)):
        wins = float(np.mean(draws[leader] > draws[index]))
        if (resampled[index] or resampled[leader]) and wins < (1 + LEVEL) / 2:
            ranked[index].rank = ranked[leader].rank
        else:
            leader = index


def _column_draws(ranked: Sequence[TableRow], column: str, resamples: int) -> dict[int, np.ndarray]:
    """Per row with samples for the column's task: its column score in each resample (0-100 scale)."""
    tables: dict[int, SampleTable] = {}
    task_name = None
    for index, row in enumerate(ranked):
        task_name = row.tasks.get(column)
        path = _scores_file(row, task_name) if row.kind == "run" and task_name else None
        if path is not None:
            try:
                tables[index] = SampleTable.from_rows(read_score_rows(path))
            except StatsInputError:
                continue
    tables = _shared(tables)
    if not tables:
        return {}
    from eagle_eval.api.registry import get_task

    task = get_task(next(ranked[i].tasks[column] for i in tables))
    statistic = next(iter(task.statistics().values()))
    scale = unit_of(task.units).scale
    indices = list(tables)
    try:
        rows = [statistic.unit_rows(tables[i]) for i in indices]
    except StatsInputError:
        return {}
    totals = bootstrap_totals(rows, n_resamples=resamples, seed=SEED)
    unit = unit_of(task.units)
    return {i: np.array([unit.rank_score(v) for v in statistic.value(t) * scale]) for i, t in zip(indices, totals, strict=True)}


def _shared(tables: dict[int, SampleTable]) -> dict[int, SampleTable]:
    """The tables restricted to the samples every one of them scored, in one unit coding."""
    if not tables:
        return {}
    keys = set.intersection(*(set(table.keys) for table in tables.values()))
    if not keys:
        return {}
    first = next(iter(tables))
    order = [key for key in tables[first].keys if key in keys]
    restricted = {i: _subset(table, order) for i, table in tables.items()}
    base = restricted[first]
    try:
        return {i: paired_tables(base, table)[1] for i, table in restricted.items()}
    except StatsInputError:
        return {}  # the rows read different data: no paired resampling


def _subset(table: SampleTable, order: Sequence[tuple[str, int]]) -> SampleTable:
    position = {key: i for i, key in enumerate(table.keys)}
    index = [position[key] for key in order]
    names = sorted({table.unit_names[table.unit_codes[i]] for i in index})
    code_of = {name: code for code, name in enumerate(names)}
    return SampleTable(
        keys=tuple(order),
        unit_codes=np.array([code_of[table.unit_names[table.unit_codes[i]]] for i in index], dtype=np.int64),
        unit_names=tuple(names),
        values={key: array[index] for key, array in table.values.items()},
        parsed=tuple(table.parsed[i] for i in index),
        fields={name: tuple(column[i] for i in index) for name, column in table.fields.items()},
    )


def _scores_file(row: TableRow, task: str) -> Path | None:
    for results in row.paths:
        candidate = Path(results).parent / "scores" / f"{task}.jsonl"
        if candidate.is_file():
            return candidate
    return None
