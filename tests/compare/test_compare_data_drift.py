"""`compare` (and `power` against a baseline) refuse to pair runs that scored different data."""

from __future__ import annotations

import json
from pathlib import Path

from eagle_eval.results.document import (
    Headline,
    ModelRecord,
    RunResults,
    RunSettings,
    TaskResult,
    write_results,
)
from tests.conftest import one_line_exit_2

A, B = "a" * 40, "b" * 40
H1, H2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
SCORES = [1.0 if i % 2 else 0.0 for i in range(200)]


def source(commit: str, content: str) -> dict:
    return {"repo": "lmms-lab/MMMU", "config": None, "split": "validation", "revision": "main",
            "provenance": {"commit": commit, "content_hash": content, "commit_from": "hub", "files": [],
                           "note": None}, "pinned": True}


def scored_run(folder: Path, sources: list[dict], doc_offset: int = 0) -> Path:
    """A run folder as `run` leaves it: results.json (with its sources) and scores/mmmu.jsonl."""
    value = 100.0 * sum(SCORES) / len(SCORES)
    result = TaskResult(task="mmmu", paper_column="MMMU", headline=Headline("accuracy", value, "percent"),
                        metrics={"accuracy": value / 100}, n_samples=len(SCORES), n_errors=0, subset=False,
                        extraction={"rule": len(SCORES), "judge": 0, "unresolved": 0, "fallback": 0},
                        sources=sources)
    lines = [json.dumps({"split": "validation", "doc_id": i + doc_offset, "values": {"accuracy": s},
                         "parsed": None, "unit": f"validation/{i + doc_offset}"}) for i, s in enumerate(SCORES)]
    (folder / "scores").mkdir(parents=True)
    (folder / "scores" / "mmmu.jsonl").write_text("\n".join(lines) + "\n")
    write_results(folder / "results.json", RunResults("r", "2025-01-01T00:00:00+00:00", "eagle-eval run", 1,
                                                      ModelRecord("m"), RunSettings(), {"mmmu": result}, {}, {}))
    return folder


def test_compare_refuses_a_changed_parquet_under_the_same_commit(eagle, tmp_path):
    old = scored_run(tmp_path / "old", [source(A, H1)])
    new = scored_run(tmp_path / "new", [source(A, H2)])
    line = one_line_exit_2(eagle("compare", new, "--baseline", old))
    assert "task mmmu" in line and H1 in line and H2 in line and A in line
    assert "--allow-data-drift" in line and "--lock" in line


def test_compare_refuses_another_commit_and_allow_data_drift_says_so(eagle, tmp_path):
    old = scored_run(tmp_path / "old", [source(A, "unknown")])
    new = scored_run(tmp_path / "new", [source(B, "unknown")])
    assert eagle("compare", new, "--baseline", old).code == 2
    allowed = eagle("compare", new, "--baseline", old, "--allow-data-drift", "--json", tmp_path / "c.json")
    assert allowed.code == 0, allowed.err
    assert "--allow-data-drift: compared although task mmmu: lmms-lab/MMMU validation differs" in allowed.out
    assert B in allowed.out and "compared under --allow-data-drift" in allowed.out
    assert json.loads((tmp_path / "c.json").read_text())["tasks"]["mmmu"]["data_drift"]


def test_the_same_bytes_compare_and_unknown_data_is_named(eagle, tmp_path):
    old = scored_run(tmp_path / "old", [source(A, H1)])
    new = scored_run(tmp_path / "new", [source("unknown", H1)])  # e.g. a --local-dir copy without metadata
    same = eagle("compare", new, "--baseline", old)
    assert same.code == 0 and "--allow-data-drift" not in same.out
    blind = scored_run(tmp_path / "blind", [source("unknown", "unknown")])
    noted = eagle("compare", blind, "--baseline", old)
    assert noted.code == 0 and "data identity unknown" in noted.out


def test_both_refusals_hold_the_data_one_first_and_the_sample_one_under_allow(eagle, tmp_path):
    old = scored_run(tmp_path / "old", [source(A, H1)])
    new = scored_run(tmp_path / "new", [source(B, H2)], doc_offset=5000)
    assert "differs" in eagle("compare", new, "--baseline", old).err
    allowed = eagle("compare", new, "--baseline", old, "--allow-data-drift")
    assert allowed.code == 2 and "scored different samples" in allowed.err


def test_power_against_a_baseline_refuses_different_data(eagle, tmp_path):
    old = scored_run(tmp_path / "old", [source(A, H1)])
    new = scored_run(tmp_path / "new", [source(A, H2)])
    assert eagle("power", new, "--baseline", old).code == 2
    assert eagle("power", new, "--baseline", old, "--allow-data-drift").code == 0


def test_a_figure_that_does_not_exist_prints_as_a_dash_in_integer_units():
    from eagle_eval.compare.output import _fmt

    # Two identical runs have a zero-spread difference, so no minimum detectable difference (NaN).
    assert _fmt(float("nan"), "mme_points") == "-" and _fmt(3.0, "mme_points") == "3"
