"""Error bars and paired comparisons for evaluation results (docs/statistics.md).

Everything here reads per-sample scores (a `SampleTable`, from a run's scores/<task>.jsonl) and is
deterministic: bootstraps and permutation tests are seeded and record their resamples and seed.

May import core only: tasks, results and the gate call it. Read first: statistics.py.
"""

from eagle_eval.stats.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED
from eagle_eval.stats.clustered import DEFAULT_LEVEL, clustered_standard_error, normal_interval
from eagle_eval.stats.paired import PairedDifference, compare_paired, mcnemar_exact_p
from eagle_eval.stats.power import minimum_detectable_difference, samples_needed
from eagle_eval.stats.statistics import AllRightPerUnit, MeanOf, MMEScore, PooledF1, Statistic
from eagle_eval.stats.table import SampleTable, StatsInputError, paired_tables, read_score_rows
from eagle_eval.stats.uncertainty import Estimate, estimate

__all__ = [
    "DEFAULT_LEVEL",
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "AllRightPerUnit",
    "Estimate",
    "MMEScore",
    "MeanOf",
    "PairedDifference",
    "PooledF1",
    "SampleTable",
    "Statistic",
    "StatsInputError",
    "clustered_standard_error",
    "compare_paired",
    "estimate",
    "mcnemar_exact_p",
    "minimum_detectable_difference",
    "normal_interval",
    "paired_tables",
    "read_score_rows",
    "samples_needed",
]
