"""Time the statistics on benchmark-sized synthetic scores: python scripts/bench_stats.py

Per shape (VQAv2 val, GQA test-dev, POPE): building the sample table from score rows, one run's
estimate, and the paired comparison with 2,000 resamples (bootstrap and permutation test).
"""

from __future__ import annotations

import time

import numpy as np

from eagle_eval.stats import MeanOf, PooledF1, SampleTable, Statistic, compare_paired, estimate

SHAPES: list[tuple[str, int, int, Statistic, str, bool]] = [
    ("vqav2_val (soft scores, clustered)", 214_354, 40_504, MeanOf("vqa_accuracy"), "vqa_accuracy", True),
    ("gqa (0/1, clustered)", 12_578, 398, MeanOf("accuracy"), "accuracy", False),
    ("pope (pooled F1, bootstrap)", 9_000, 500, PooledF1(), "accuracy", False),
]


def rows(rng: np.random.Generator, n: int, units: np.ndarray, key: str, soft: bool) -> list[dict]:
    scores = rng.integers(0, 4, n) / 3 if soft else (rng.random(n) < 0.7).astype(float)
    said = np.where(rng.random(n) < 0.5, "yes", "no")
    return [
        {"split": "s", "doc_id": i, "values": {key: float(scores[i])}, "parsed": str(said[i]),
         "unit": f"img{units[i]}", "fields": {"answer": "yes" if i % 2 else "no"}}
        for i in range(n)
    ]  # fmt: skip


def main() -> None:
    rng = np.random.default_rng(0)
    for name, n, n_units, statistic, key, soft in SHAPES:
        units = rng.integers(0, n_units, n)
        old_rows, new_rows = rows(rng, n, units, key, soft), rows(rng, n, units, key, soft)
        started = time.perf_counter()
        old, new = SampleTable.from_rows(old_rows), SampleTable.from_rows(new_rows)
        built = time.perf_counter()
        single = estimate(statistic, old)
        estimated = time.perf_counter()
        paired = compare_paired(statistic, old, new)
        done = time.perf_counter()
        print(
            f"{name}: {n} samples, {old.n_units} units | tables {built - started:.2f} s | "
            f"estimate ({single.method}) {estimated - built:.2f} s | "
            f"paired ({paired.method}, {paired.test}, {paired.resamples} resamples) {done - estimated:.2f} s"
        )


if __name__ == "__main__":
    main()
