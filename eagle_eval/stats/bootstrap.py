"""Seeded cluster bootstrap and paired permutation tests over per-unit rows, vectorised.

Resampling whole units (images, MMBench questions) with replacement keeps the questions that share
a unit together, which is what makes the interval honest for clustered data. A resample is a vector
of counts (how often each unit was drawn), built from an index array with one `bincount`; the
statistic's totals for a block of resamples are then `counts @ unit_rows`. Blocks bound the memory
(block × n_units integers), and 2,000 resamples of 10k+ units take a second or so
(scripts/bench_stats.py).

scipy.stats.bootstrap resamples observations, not clusters, and re-evaluates the statistic per
resample in Python for non-vectorised statistics; this module exists because neither fits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20240814
_BLOCK_CELLS = 4_000_000  # resample counts held at once (≈32 MB of int64)


def _blocks(n_resamples: int, n_units: int) -> Iterator[int]:
    block = max(1, _BLOCK_CELLS // max(n_units, 1))
    done = 0
    while done < n_resamples:
        size = min(block, n_resamples - done)
        yield size
        done += size


def resample_counts(rng: np.random.Generator, size: int, n_units: int) -> np.ndarray:
    """`size` bootstrap resamples of `n_units` units, as a (size × n_units) matrix of draw counts."""
    drawn = rng.integers(0, n_units, size=(size, n_units), dtype=np.int64)
    offsets = (np.arange(size) * n_units)[:, None]
    return np.bincount((drawn + offsets).ravel(), minlength=size * n_units).reshape(size, n_units)


def coin_flips(rng: np.random.Generator, size: int, n_units: int) -> np.ndarray:
    """A (size × n_units) matrix of fair 0/1 draws, as floats: the bits of random bytes, which is
    an order of magnitude faster than drawing integers one by one."""
    packed = rng.integers(0, 256, size=(size, (n_units + 7) // 8), dtype=np.uint8)
    return np.unpackbits(packed, axis=1)[:, :n_units].astype(float)


def bootstrap_totals(
    unit_rows: list[np.ndarray], n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
) -> list[np.ndarray]:
    """Totals (n_resamples × n_features) of each row matrix under the SAME unit resamples.

    Passing a baseline's and a new run's rows together gives the paired bootstrap.
    """
    n_units = unit_rows[0].shape[0]
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in unit_rows]
    for size in _blocks(n_resamples, n_units):
        counts = resample_counts(rng, size, n_units).astype(float)
        for part, rows in zip(parts, unit_rows, strict=True):
            part.append(counts @ rows)
    return [np.concatenate(part, axis=0) for part in parts]


def draws_summary(draws: np.ndarray, level: float) -> tuple[float, float, float]:
    """(standard deviation, percentile interval low, high) of resampled values, NaNs left out."""
    finite = draws[np.isfinite(draws)]
    se = float(finite.std(ddof=1)) if finite.size > 1 else float("nan")
    return (se, *percentile_interval(finite, level))


def percentile_interval(draws: np.ndarray, level: float) -> tuple[float, float]:
    finite = draws[np.isfinite(draws)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class PermutationDraws:
    """A paired permutation test's draws: the difference new − baseline under each swap of units."""

    observed: float  # value(new) − value(baseline), signed
    differences: np.ndarray  # the same difference under each swap
    carried: np.ndarray  # per swap, a per-unit column (`carry`) summed over the units swapped
    exact: bool  # every swap taken once; otherwise seeded random swaps


def _swap_blocks(n_units: int, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """0/1 matrices (swaps × units), 1 where a unit's two rows are swapped: every one of the 2^units
    swaps once when they are no more than `n_resamples`, else `n_resamples` seeded fair draws."""
    if 2**n_units <= n_resamples:
        yield ((np.arange(2**n_units)[:, None] >> np.arange(n_units)) & 1).astype(float)
        return
    rng = np.random.default_rng(seed)
    for size in _blocks(n_resamples, n_units):
        yield coin_flips(rng, size, n_units)


def permutation_draws(  # noqa: PLR0913 -- the test's inputs and its seeded settings, as permutation_p_value
    value: Callable[[np.ndarray], np.ndarray],
    baseline_rows: np.ndarray,
    new_rows: np.ndarray,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    carry: np.ndarray | None = None,
) -> PermutationDraws:
    """The difference under each swap of the two runs' rows within units (a sign flip of each swapped
    unit's difference): the null distribution of the difference when the runs do not differ."""
    base_total, new_total = baseline_rows.sum(axis=0), new_rows.sum(axis=0)
    delta = new_rows - baseline_rows
    n_units = delta.shape[0]
    column = np.zeros(n_units) if carry is None else np.asarray(carry, dtype=float)
    differences, carried = [], []
    for swaps in _swap_blocks(n_units, n_resamples, seed):
        swapped = swaps @ delta
        differences.append(value(new_total - swapped) - value(base_total + swapped))
        carried.append(swaps @ column)
    observed = float(value(new_total) - value(base_total))
    return PermutationDraws(observed, np.concatenate(differences), np.concatenate(carried),
                            2**n_units <= n_resamples)


def tail_share(draws: np.ndarray, observed: float, exact: bool, tie: float) -> float:
    """Two-sided p: the share of draws at least as far from 0 as `observed` (ties within `tie` count);
    (1 + count)/(1 + draws) when the draws are random, so never 0."""
    count = int(np.sum(np.abs(draws) >= abs(observed) - tie))
    return count / draws.size if exact else (1 + count) / (1 + draws.size)


def tie_tolerance(observed: float) -> float:
    """A draw equal to the observed difference up to rounding counts as reaching it."""
    return 1e-12 * max(1.0, abs(observed))


def permutation_p_value(
    value: Callable[[np.ndarray], np.ndarray],
    baseline_rows: np.ndarray,
    new_rows: np.ndarray,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> float:
    """Two-sided p-value of "the two runs are exchangeable within each unit" (paired permutation).

    Each resample swaps the two runs' rows in a random half of the units (a sign flip of the unit's
    difference), which is the null distribution of the difference when the runs do not differ.
    p = (1 + #{|resampled difference| ≥ |observed|}) / (1 + resamples), never 0. With so few units
    that all 2^units swaps are no more than `n_resamples`, every swap is taken once: the exact p.
    """
    draws = permutation_draws(value, baseline_rows, new_rows, n_resamples, seed)
    return tail_share(draws.differences, draws.observed, draws.exact, tie_tolerance(draws.observed))
