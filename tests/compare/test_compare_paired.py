"""`compare` as a paired test: the gate, Holm, --json, refusals, and runs re-scored from lmms-eval logs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar

from eagle_eval.results.document import ModelRecord, RunResults, RunSettings, write_results

from .scored_runs import write_scored_run

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "hub"


def flipped(base: list[float], lost: int, gained: int) -> list[float]:
    """`base` with its first `lost` right answers made wrong and its first `gained` wrong ones right."""
    new = list(base)
    right = [i for i, s in enumerate(base) if s == 1][:lost]
    wrong = [i for i, s in enumerate(base) if s == 0][:gained]
    for i in right:
        new[i] = 0.0
    for i in wrong:
        new[i] = 1.0
    return new


BASE = [1.0 if i % 2 else 0.0 for i in range(900)]  # MMMU's 900 questions, 50% right


def test_significant_drop_beyond_tolerance_fails(eagle, tmp_path):
    old = write_scored_run(tmp_path / "old", {"mmmu": BASE})
    new = write_scored_run(tmp_path / "new", {"mmmu": flipped(BASE, lost=30, gained=3)})  # −3.0 points
    result = eagle("compare", new, "--baseline", old, "--json", tmp_path / "c.json")
    assert result.code == 1, result.out + result.err
    assert "REGRESSION: mmmu" in result.out and "mcnemar-exact" in result.out and "+3/-30" in result.out
    entry = json.loads((tmp_path / "c.json").read_text())["tasks"]["mmmu"]
    # p-value: statsmodels on the same table (both right 420, only baseline 30, only new 3, neither 447).
    expected = mcnemar([[420, 30], [3, 447]], exact=True).pvalue
    assert entry["p_value"] == pytest.approx(expected) and entry["p_value_holm"] == pytest.approx(expected)
    assert entry["verdict"] == "regression" and entry["difference"] == pytest.approx(-3.0)
    assert (entry["gained"], entry["lost"], entry["test"], entry["paired"]) == (3, 30, "mcnemar-exact", True)
    assert entry["ci_low"] < -3.0 < entry["ci_high"] < 0
    assert entry["mde_80"] == pytest.approx(2.801585 * entry["se"], rel=1e-3)


def test_drop_within_noise_passes_and_says_so(eagle, tmp_path):
    old = write_scored_run(tmp_path / "old", {"mmmu": BASE})
    new = write_scored_run(tmp_path / "new", {"mmmu": flipped(BASE, lost=50, gained=41)})  # −1.0 point
    result = eagle("compare", new, "--baseline", old)
    assert result.code == 0, result.out
    assert "not significant at alpha 0.05 after Holm's correction): mmmu" in result.out
    # The flat tolerance alone would have failed it: the scores files are what let it pass.
    for scores in (old / "scores", new / "scores"):
        (scores / "mmmu.jsonl").unlink()
    flat = eagle("compare", new, "--baseline", old)
    assert flat.code == 1 and "no per-sample scores" in flat.out


def test_lower_bound_gate_fails_only_when_the_interval_clears_the_tolerance(eagle, tmp_path):
    old = write_scored_run(tmp_path / "old", {"mmmu": BASE})
    # −2.0 points from 18 lost and 0 gained: significant (p ≈ 8e-6), but the interval reaches about
    # −1.1, inside a 1.5-point tolerance.
    new = write_scored_run(tmp_path / "new", {"mmmu": flipped(BASE, lost=18, gained=0)})
    assert eagle("compare", new, "--baseline", old, "--max-drop", "1.5").code == 1
    lenient = eagle("compare", new, "--baseline", old, "--max-drop", "1.5", "--gate", "lower-bound")
    assert lenient.code == 0 and "within noise" in lenient.out
    assert eagle("compare", new, "--baseline", old, "--max-drop", "0.5", "--gate", "lower-bound").code == 1


def test_holm_correction_across_tasks(eagle, tmp_path):
    from statsmodels.stats.multitest import multipletests

    old = write_scored_run(tmp_path / "old", {"mmmu": BASE, "sqa": BASE[:400]})
    new = write_scored_run(
        tmp_path / "new", {"mmmu": flipped(BASE, 20, 6), "sqa": flipped(BASE[:400], 12, 3)}
    )
    result = eagle("compare", new, "--baseline", old, "--alpha", "0.05", "--json", tmp_path / "c.json")
    tasks = json.loads((tmp_path / "c.json").read_text())["tasks"]
    raw = [tasks["mmmu"]["p_value"], tasks["sqa"]["p_value"]]
    # Both right / only the baseline / only the new run / neither: mmmu 450 right, 20 lost, 6 gained;
    # sqa 200 right of 400, 12 lost, 3 gained.
    assert raw == pytest.approx([mcnemar([[430, 20], [6, 444]], exact=True).pvalue,
                                 mcnemar([[188, 12], [3, 197]], exact=True).pvalue])
    # Holm by hand for two tests: the smaller p times 2, the larger times 1, kept monotone, capped at 1.
    low, high = sorted(raw)
    by_hand = {low: min(1, 2 * low), high: min(1, max(2 * low, high))}
    assert tasks["mmmu"]["p_value_holm"] == pytest.approx(by_hand[raw[0]])
    assert tasks["sqa"]["p_value_holm"] == pytest.approx(by_hand[raw[1]])
    assert [tasks[t]["p_value_holm"] for t in ("mmmu", "sqa")] == pytest.approx(
        list(multipletests(raw, method="holm")[1])
    )
    # Exact McNemar: mmmu 2·P(X ≤ 6 | 26, ½) = 2·313,912/2^26 ≈ 0.0094, sqa 2·P(X ≤ 3 | 15, ½) =
    # 2·576/2^15 ≈ 0.035; Holm: 0.019 and max(0.019, 0.035) = 0.035, both under 0.05. Drops of
    # 14/900 = 1.56 and 9/400 = 2.25 points pass the 0.5 tolerance: both tasks regress, exit 1.
    assert result.code == 1, result.out + result.err
    assert "REGRESSION: mmmu, sqa" in result.out


def test_clustered_task_uses_the_permutation_test(eagle, tmp_path):
    units = {"mmmu": [f"image{i // 10}" for i in range(900)]}
    old = write_scored_run(tmp_path / "old", {"mmmu": BASE}, units)
    new = write_scored_run(tmp_path / "new", {"mmmu": flipped(BASE, 30, 3)}, units)
    result = eagle("compare", new, "--baseline", old, "--json", tmp_path / "c.json")
    entry = json.loads((tmp_path / "c.json").read_text())["tasks"]["mmmu"]
    # Per image (10 questions each) the new run's change: image 0 loses 5 (odd ids 1-9) and gains 3
    # (ids 0, 2, 4), -2; images 1-5 lose 5 each; the other 84 are unchanged. Swapping the runs image by
    # image reaches |sum| = 27 only when all six signs agree: exact p = 2/2^6 = 0.031 < 0.05, and the
    # 3-point drop is past the 0.5 tolerance: exit 1.
    assert result.code == 1, result.out + result.err
    assert entry["p_value"] == pytest.approx(2 / 64, abs=0.015)
    assert entry["test"] == "permutation" and entry["method"] == "clustered" and entry["n_units"] == 90
    assert entry["mcnemar_p"] is not None and entry["resamples"] == 2000


def test_differing_doc_ids_are_refused(eagle, tmp_path):
    old = write_scored_run(tmp_path / "old", {"mmmu": BASE})
    new = write_scored_run(tmp_path / "new", {"mmmu": BASE})
    lines = (new / "scores" / "mmmu.jsonl").read_text().splitlines()
    moved = json.loads(lines[0]) | {"doc_id": 5000}
    (new / "scores" / "mmmu.jsonl").write_text("\n".join([json.dumps(moved), *lines[1:]]) + "\n")
    result = eagle("compare", new, "--baseline", old)
    assert result.code == 2 and "scored different samples" in result.err and "same doc ids" in result.err


def test_scores_that_do_not_match_results_are_refused(eagle, tmp_path):
    old = write_scored_run(tmp_path / "old", {"mmmu": BASE})
    new = write_scored_run(tmp_path / "new", {"mmmu": BASE})
    (new / "scores" / "mmmu.jsonl").write_text(
        (tmp_path / "old" / "scores" / "mmmu.jsonl")
        .read_text()
        .replace('"accuracy": 0.0', '"accuracy": 1.0', 5)
    )
    result = eagle("compare", new, "--baseline", old)
    assert result.code == 2 and "re-score the run" in result.err


def _lmms_eval_log(path: Path, docs, right: set[int]) -> Path:
    """An lmms-eval --log_samples file: doc_id and filtered_resps per line."""
    lines = [
        json.dumps(
            {
                "doc_id": doc.doc_id,
                "filtered_resps": [doc.row["answer"] if doc.doc_id in right else "no idea"],
            }
        )
        for doc in docs
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_compare_two_rescored_lmms_eval_logs(eagle, tmp_path):
    from eagle_eval.api.registry import get_task

    docs = get_task("gqa").load_docs(BUNDLED)
    everything = {doc.doc_id for doc in docs}
    old_log = _lmms_eval_log(tmp_path / "old.jsonl", docs, everything)
    new_log = _lmms_eval_log(tmp_path / "new.jsonl", docs, everything - {0, 1})
    for name, log in (("old", old_log), ("new", new_log)):
        scored = eagle("score", "--task", "gqa", "--predictions", log, "--data-root", BUNDLED,
                       "--output", tmp_path / name / "results.json", "--no-progress")  # fmt: skip
        assert scored.code == 0, scored.err
        assert (tmp_path / name / "scores" / "gqa.jsonl").is_file()
    result = eagle("compare", tmp_path / "new", "--baseline", tmp_path / "old", "--json", tmp_path / "c.json")
    entry = json.loads((tmp_path / "c.json").read_text())["tasks"]["gqa"]
    assert entry["paired"] and (entry["gained"], entry["lost"]) == (0, 2)
    assert (
        entry["difference"] == pytest.approx(-25.0)
        and entry["n_units"] == 3
        and entry["method"] == "clustered"
    )
    # Eight questions on three pictures: a 25-point drop is not significant, and the output says so.
    assert result.code == 0 and "within noise" in result.out


def test_power_command(eagle, tmp_path):
    old = write_scored_run(tmp_path / "old", {"mmmu": BASE})
    new = write_scored_run(tmp_path / "new", {"mmmu": flipped(BASE, 50, 41)})
    paired = eagle("power", new, "--baseline", old, "--drop", "1.0")
    assert paired.code == 0 and "paired with the baseline" in paired.out and "mmmu" in paired.out
    task = __import__("eagle_eval.api.registry", fromlist=["get_task"]).get_task("mmmu")
    assert task.cluster_key is None


def test_power_from_one_run_uses_root_two_times_the_standard_error(eagle, tmp_path):
    from eagle_eval.api.registry import get_task
    from eagle_eval.compare.power import power_rows
    from eagle_eval.run.scoring import Outcome, ScoreOptions, score_task

    task = get_task("gqa")
    docs = task.load_docs(BUNDLED)
    result = score_task(task, docs, {d.key: Outcome(d.row["answer"] if d.doc_id % 2 else "?") for d in docs}, ScoreOptions(subset=False)).result
    run = RunResults(
        "r", "2025-01-01T00:00:00+00:00", "c", 1, ModelRecord("m"), RunSettings(), {"gqa": result}, {}, {}
    )
    write_results(tmp_path / "one" / "results.json", run)
    (row,) = power_rows(tmp_path / "one", None, None, drop=1.0, alpha=0.05, power=0.8)
    se = result.uncertainty["headline"]["se"]
    assert row.se_difference == pytest.approx(np.sqrt(2) * se)
    assert row.mde == pytest.approx(2.801585 * np.sqrt(2) * se, rel=1e-4)
    assert row.samples_for_drop == pytest.approx(len(docs) * (row.mde / 1.0) ** 2, rel=0.01, abs=1)
    assert eagle("power", tmp_path / "one", "--drop", "1").code == 0


def test_compare_two_run_folders_written_by_run(toy_world, toy_run, eagle, tmp_path):
    assert toy_run("--run-id", "a", output_dir=tmp_path / "runs").code == 0
    assert toy_run("--run-id", "b", output_dir=tmp_path / "runs").code == 0
    result = eagle(
        "compare",
        tmp_path / "runs" / "b",
        "--baseline",
        tmp_path / "runs" / "a",
        "--json",
        tmp_path / "c.json",
    )
    entry = json.loads((tmp_path / "c.json").read_text())["tasks"]["toyqa"]
    assert (
        result.code == 0
        and entry["paired"]
        and entry["difference"] == 0
        and entry["gained"] == entry["lost"] == 0
    )


def test_identical_runs_compare_cleanly_in_points(eagle, tmp_path):
    from eagle_eval.compare.gate import Tolerance, compare_runs
    from eagle_eval.compare.output import comparison_rows

    old = write_scored_run(tmp_path / "old", {"mmmu": BASE})
    (item,) = compare_runs(old, old, Tolerance())
    item.units = "mme_points"  # the undefined detectable difference (no spread) prints as "-"
    assert comparison_rows([item])[0][10] == "-"
    assert eagle("compare", old, "--baseline", old).code == 0


def test_power_on_scores_without_spread_says_n_too_small(eagle, tmp_path):
    """All 5 right: the standard error is 0, so no difference is detectable from these scores and no
    sample count follows; power says so instead of printing an MDE of nan and '0' samples."""
    from eagle_eval.api.registry import get_task
    from eagle_eval.run.scoring import Outcome, ScoreOptions, score_task

    task = get_task("mmmu")
    docs = task.load_docs(BUNDLED)[:5]
    outcomes = {d.key: Outcome(d.row["answer"]) for d in docs}
    result = score_task(task, docs, outcomes, ScoreOptions(subset=False)).result
    assert result.headline.value == 100.0  # every answer is its own target
    run = RunResults(
        "r", "2025-01-01T00:00:00+00:00", "c", 1, ModelRecord("m"), RunSettings(), {"mmmu": result}, {}, {}
    )
    write_results(tmp_path / "one" / "results.json", run)
    done = eagle("power", tmp_path / "one", "--drop", "1.0")
    assert done.code == 0
    (line,) = [line for line in done.out.splitlines() if line.startswith("| mmmu")]
    assert line.count("n too small") == 2 and "nan" not in line
