"""Regression check between two runs: per task, a paired comparison and a gate that tells a real
drop from noise (docs/statistics.md).

Each task present in both runs is compared sample by sample from the runs' scores files
(`scores/<task>.jsonl` beside results.json): the difference of headlines with its paired standard
error and interval, the samples gained and lost, and a p-value (exact McNemar, or a paired
permutation test over shared units), Holm-corrected across the tasks compared.

The gate fails a task (exit 1) only when its headline dropped by more than its tolerance AND the
drop is significant at `alpha` after Holm's correction; with `gate="lower-bound"` it fails only when
the whole (1 − alpha) interval of the drop lies beyond the tolerance. A drop beyond the tolerance
that is not significant is reported as noise. Tolerances are in paper units (points of percent, MME
points, OCRBench points): 0.5 by default; `--max-drop` takes a global number, per-task
`name=value` pairs, or both (`0.3,textvqa=1.0`); drops are compared after rounding to 1e-6.

Without scores files (results written elsewhere) a task is compared on the headline alone, marked
`paired: false`, and the flat tolerance decides, as the note in the output says.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eagle_eval.api.registry import task_names
from eagle_eval.core.text_input import why_not_a_file
from eagle_eval.core.units import unit_of
from eagle_eval.provenance.drift import task_data_drift, unknown_sources
from eagle_eval.results.document import RunResults, TaskResult, load_results
from eagle_eval.results.run_paths import locate_results
from eagle_eval.stats import PairedDifference, SampleTable, Statistic, StatsInputError, compare_paired
from eagle_eval.stats.power import minimum_detectable_difference
from eagle_eval.stats.table import read_score_rows

DEFAULT_MAX_DROP = 0.5
DEFAULT_ALPHA = 0.05
GATES = ("significance", "lower-bound")
# Below this many shared units the permutation test's smallest p-value, 2/2^units, is worth a note when
# it is no smaller than alpha: then no difference can be significant.
FEW_UNITS = 30


class CompareInputError(ValueError):
    """Inputs that cannot be compared (exit code 2)."""


class DataDriftError(CompareInputError):
    """The two runs of a task read different data (exit code 2 unless --allow-data-drift)."""


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
    status: str  # "ok", "noise", "regression", "skipped", "missing" (in the baseline, not the new run)
    note: str = ""
    paired: PairedDifference | None = None
    p_holm: float | None = None
    mde: float | None = None  # minimum detectable difference at 80% power, paper units
    notes: list[str] = field(default_factory=list)
    data_drift: list[str] = field(default_factory=list)  # compared anyway under --allow-data-drift

    @property
    def delta(self) -> float | None:
        return None if self.baseline is None or self.new is None else self.new - self.baseline

    @property
    def drop_beyond_tolerance(self) -> bool:
        return self.delta is not None and round(-self.delta, 6) > self.max_drop


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
        if not math.isfinite(number):
            raise CompareInputError(f"--max-drop: {part!r} is not a finite number; give a drop such as 0.5")
        if number < 0:
            raise CompareInputError(
                f"--max-drop: {part!r} is negative; tolerances are drops, give a positive number"
            )
        if sep:
            per_task[name.strip()] = number
        else:
            default = number
    _check_task_names(list(per_task))
    return Tolerance(default=default, per_task=tuple(sorted(per_task.items())))


def _check_task_names(names: list[str]) -> None:
    """A tolerance for a task that does not exist would never apply: a typo must not pass silently."""
    known = task_names()
    unknown = [name for name in names if name not in known]
    if unknown:
        hints = [f"{name} (did you mean {', '.join(close)}?)" if (close := difflib.get_close_matches(name, known, n=2))
                 else name for name in unknown]
        raise CompareInputError(f"--max-drop names unknown task(s) {', '.join(hints)}; list them with: eagle-eval tasks")


def scores_path(results_path: Path, task: str) -> Path:
    """Where a run keeps a task's per-sample scores: scores/<task>.jsonl beside its results.json."""
    folder = results_path if results_path.is_dir() else results_path.parent
    return folder / "scores" / f"{task}.jsonl"


def _results_file(path: Path) -> Path:
    """A run folder's results.json (an output folder holding one run: that run's); as given when there is
    none, for load_results to say why."""
    found, problem = locate_results(path)
    return path if problem else found


def headline_statistic(task: str, result: TaskResult) -> Statistic | None:
    """The registered task's headline statistic; None for a task this installation does not know."""
    from eagle_eval.api.registry import get_task

    try:
        return get_task(task).statistics()[result.headline.metric]
    except (KeyError, ValueError, LookupError):
        return None


def _check_reproduces(value: float, reported: float | None, task: str, path: Path) -> None:
    if reported is None or not math.isclose(value, reported, rel_tol=1e-6, abs_tol=1e-6):
        raise CompareInputError(
            f"task {task}: {path} gives a headline of {value:.6g}, but its results.json says {reported}; "
            "the scores file belongs to another scoring: re-score the run"
        )


def _paired(
    task: str, old: TaskResult, new: TaskResult, old_path: Path, new_path: Path, level: float, seed: int
) -> PairedDifference | str:
    """The paired comparison, or the reason there is none (a note for the output)."""
    old_scores, new_scores = scores_path(old_path, task), scores_path(new_path, task)
    for path in (old_scores, new_scores):  # a folder or a link loop is damage, not an absent file
        if (problem := why_not_a_file(path)) is not None:
            raise CompareInputError(f"{path} {problem}, where task {task}'s per-sample scores belong; "
                                    "remove it and re-score the run")
    missing = [str(p) for p in (old_scores, new_scores) if not p.is_file()]
    if missing:
        return f"no per-sample scores ({', '.join(missing)}): flat tolerance only, no significance test"
    statistic = headline_statistic(task, new)
    if statistic is None:
        return f"task {task} is not installed here: flat tolerance only, no significance test"
    try:
        old_table = SampleTable.from_rows(read_score_rows(old_scores))
        new_table = SampleTable.from_rows(read_score_rows(new_scores))
        scale = unit_of(new.headline.units).scale
        result = compare_paired(
            statistic, old_table, new_table, scale=scale, level=level, seed=seed, where=f"task {task}"
        )
    except StatsInputError as err:
        raise CompareInputError(str(err)) from err
    _check_reproduces(result.baseline, old.headline.value, task, old_scores)
    _check_reproduces(result.new, new.headline.value, task, new_scores)
    return result


def common_tasks(new: RunResults, baseline: RunResults, tasks: Sequence[str] | None) -> list[str]:
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
    return common


@dataclass(frozen=True)
class GateSettings:
    """How the gate decides: the test level, the rule, the bootstrap seed, and whether drift is allowed."""

    alpha: float = DEFAULT_ALPHA
    gate: str = "significance"
    seed: int | None = None
    allow_data_drift: bool = False

    def check(self) -> None:
        if self.gate not in GATES:
            raise CompareInputError(f"--gate {self.gate!r}: choose {' or '.join(GATES)}")
        if not 0 < self.alpha < 1:
            raise CompareInputError(f"--alpha {self.alpha}: give a level between 0 and 1, such as 0.05")


def compare_runs(
    new_path: Path,
    baseline_path: Path,
    tolerance: Tolerance,
    tasks: Sequence[str] | None = None,
    settings: GateSettings | None = None,
) -> list[TaskComparison]:
    """One comparison per task present in both runs (optionally only `tasks`), gated.

    Runs that read different data for a task (eagle_eval.provenance.drift) are refused with DataDriftError
    before anything is paired, unless `settings.allow_data_drift`, which each such comparison then records.
    """
    settings = settings or GateSettings()
    settings.check()
    new_file, old_file = _results_file(Path(new_path)), _results_file(Path(baseline_path))
    new, baseline = load_results(new_file), load_results(old_file)
    names = common_tasks(new, baseline, tasks)
    drifts = {name: task_data_drift(name, baseline.results[name].sources, new.results[name].sources)
              for name in names}
    refused = [d.describe() for found in drifts.values() for d in found]
    if refused and not settings.allow_data_drift:
        raise DataDriftError(
            f"{' | '.join(refused)}: these runs scored different data. Run both with the same "
            "--lock FILE (docs/reproducibility.md), or pass --allow-data-drift to compare anyway"
        )
    comparisons = []
    for name in names:
        old_result, new_result = baseline.results[name], new.results[name]
        item = TaskComparison(
            task=name,
            units=new_result.headline.units,
            baseline=old_result.headline.value,
            new=new_result.headline.value,
            max_drop=tolerance.for_task(name),
            status="ok",
        )
        item.data_drift = [d.describe() for d in drifts[name]]
        item.notes.extend(_pairing_notes(item, old_result, new_result))
        if item.baseline is None or item.new is None:
            item.status = "skipped"
            item.notes.append("no headline (server-scored)")
        else:
            _pair(item, (old_result, old_file), (new_result, new_file), settings)
        comparisons.append(item)
    if all(c.status == "skipped" for c in comparisons):
        raise CompareInputError("no common task has a headline value in both runs")
    _holm(comparisons, settings.alpha)
    for item in comparisons:
        _decide(item, settings.alpha, settings.gate)
        item.note = "; ".join(item.notes)
    return comparisons + ([] if tasks else _missing_from_new(new, baseline, tolerance))


def _missing_from_new(new: RunResults, baseline: RunResults, tolerance: Tolerance) -> list[TaskComparison]:
    """A row per baseline task the new run lacks: an unchecked task must not read as "no regression"."""
    return [
        TaskComparison(task=name, units=result.headline.units, baseline=result.headline.value, new=None,
                       max_drop=tolerance.for_task(name), status="missing",
                       note="in the baseline, missing from the new run (--tasks compares the others only)")
        for name, result in baseline.results.items() if name not in new.results
    ]


def _pairing_notes(item: TaskComparison, old_result: TaskResult, new_result: TaskResult) -> list[str]:
    """What differs between the two runs of a task besides the answers: each a note on the comparison."""
    notes = []
    if item.data_drift:
        notes.append("different data, compared under --allow-data-drift")
    unknown = unknown_sources(old_result.sources, new_result.sources)
    if unknown:
        notes.append(f"data identity unknown ({', '.join(unknown)}): sameness not checked")
    if old_result.subset != new_result.subset or old_result.n_samples != new_result.n_samples:
        notes.append(f"different sample sets ({old_result.n_samples} vs {new_result.n_samples})")
    if old_result.gen_kwargs != new_result.gen_kwargs:
        notes.append(f"different generation settings (--gen-kwargs {_gen_text(old_result.gen_kwargs)} vs "
                     f"{_gen_text(new_result.gen_kwargs)})")
    return notes


def _pair(item: TaskComparison, old: tuple[TaskResult, Path], new: tuple[TaskResult, Path],
          settings: GateSettings) -> None:
    """The paired test of a task with a headline in both runs, or the note saying why there is none."""
    from eagle_eval.stats import DEFAULT_SEED

    paired = _paired(item.task, old[0], new[0], old[1], new[1], 1 - settings.alpha, settings.seed or DEFAULT_SEED)
    if isinstance(paired, str):
        item.notes.append(paired)
        return
    item.paired = paired
    item.mde = minimum_detectable_difference(paired.se, paired.n_samples, settings.alpha)
    smallest_p = 2 / 2**paired.n_units if paired.test == "permutation" and paired.n_units < FEW_UNITS else 0.0
    if smallest_p >= settings.alpha:
        item.notes.append(f"only {paired.n_units} units: the permutation test's smallest p is {smallest_p:.3g}, "
                          f"so no difference can be significant at alpha {settings.alpha:g}")


def _gen_text(gen_kwargs: dict | None) -> str:
    return ",".join(f"{key}={value}" for key, value in gen_kwargs.items()) if gen_kwargs else "none"


def _holm(comparisons: Sequence[TaskComparison], alpha: float) -> None:
    """Holm's step-down adjustment (statsmodels) across the tasks that have a p-value."""
    from statsmodels.stats.multitest import multipletests

    tested = [c for c in comparisons if c.paired is not None]
    if not tested:
        return
    _, adjusted, _, _ = multipletests([c.paired.p_value for c in tested if c.paired is not None], alpha=alpha,
                                      method="holm")
    for item, p in zip(tested, adjusted, strict=True):
        item.p_holm = float(p)


def _decide(item: TaskComparison, alpha: float, gate: str) -> None:
    if item.status == "skipped":
        return
    if item.paired is None:
        item.status = "regression" if item.drop_beyond_tolerance else "ok"
        return
    if gate == "lower-bound":
        # The smallest drop the interval allows: −(upper end of the difference). Every paired interval
        # inverts the test printed beside it (exact McNemar's or the permutation test), so an interval
        # wholly beyond a tolerance ≥ 0 leaves out 0, and the printed p is below alpha with it.
        beyond = round(-item.paired.ci_high, 6) > item.max_drop
        item.status = "regression" if beyond else ("noise" if item.drop_beyond_tolerance else "ok")
        return
    if not item.drop_beyond_tolerance:
        item.status = "ok"
    elif item.p_holm is not None and item.p_holm < alpha:
        item.status = "regression"
    else:
        item.status = "noise"


def has_regression(comparisons: Sequence[TaskComparison]) -> bool:
    return any(c.status == "regression" for c in comparisons)


def missing_tasks(comparisons: Sequence[TaskComparison]) -> list[str]:
    """Baseline tasks the new run lacks: the comparison is incomplete (its own exit code)."""
    return [c.task for c in comparisons if c.status == "missing"]


def comparison_json(comparisons: Sequence[TaskComparison], alpha: float, gate: str) -> dict[str, Any]:
    """Every figure of the comparison, per task, for CI tools (`compare --json FILE`)."""
    tasks = {}
    for c in comparisons:
        entry: dict[str, Any] = {
            "units": c.units,
            "baseline": c.baseline,
            "new": c.new,
            "difference": c.delta,
            "max_drop": c.max_drop,
            "paired": c.paired is not None,
            "p_value_holm": c.p_holm,
            "mde_80": c.mde if c.mde is not None and math.isfinite(c.mde) else None,
            "verdict": c.status,
            "note": c.note,
            "data_drift": c.data_drift,
        }
        if c.paired is not None:
            skip = ("baseline", "new", "difference")  # the same numbers as above, recomputed
            entry.update({k: v for k, v in c.paired.to_json().items() if k not in skip})
        tasks[c.task] = entry
    return {
        "version": 1,
        "alpha": alpha,
        "gate": gate,
        "regression": has_regression(comparisons),
        "incomplete": bool(missing_tasks(comparisons)),
        "missing_tasks": missing_tasks(comparisons),
        "tasks": tasks,
    }
