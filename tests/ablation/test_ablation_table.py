"""The ablation table (`table --ablation`): full, each knock-out, blind and the multimodal gain, per task."""

from __future__ import annotations

import csv
import io
import json

import pytest

from eagle_eval.ablation.spec import Ablation, VisionExpert, variant_record
from eagle_eval.ablation.table import GAIN, build_ablation_table, render_ablation_table
from eagle_eval.results.document import (
    Headline,
    ModelRecord,
    RunResults,
    RunSettings,
    TaskResult,
    load_results,
    write_results,
)
from eagle_eval.results.tables import build_table, render_table

SAM = VisionExpert("sam-1024", "SAM", 2)
CLIP = VisionExpert("clip-448", "CLIP", 0)


def _run(variant: Ablation, experts: list[VisionExpert], scores: dict[str, float], created: str = "2026-01-01",
         n: int = 100, model: str = "eagle-x5-7b", subset: bool = False) -> RunResults:
    units = {"mme": "mme_points"}
    results = {task: TaskResult(task=task, paper_column={"textvqa": "TextVQA", "mme": "MME", "pope": "POPE"}[task],
                                headline=Headline("m", value, units.get(task, "percent")), metrics={"m": value},
                                n_samples=n, n_errors=0, subset=subset, extraction={"rule": n})
               for task, value in scores.items()}
    run_id = f"{model}__{'-'.join(e.name for e in experts) or ('blind' if variant.blind else 'full')}{created}"
    return RunResults(run_id=run_id, created_at=created, command="eagle-eval run",
                      seed=1, model=ModelRecord(name=model), settings=RunSettings(), results=results, software={},
                      hardware={}, variant=variant_record(variant, experts))


@pytest.fixture
def runs() -> list[RunResults]:
    return [
        _run(Ablation(blind=True), [], {"textvqa": 20.04, "mme": 900.0, "pope": 50.0}),
        _run(Ablation(experts=("sam",)), [SAM], {"textvqa": 68.14, "mme": 1500.4, "pope": 87.0}),
        _run(Ablation(), [], {"textvqa": 71.24, "mme": 1528.6, "pope": 88.8}),
        _run(Ablation(experts=("clip",)), [CLIP], {"textvqa": 40.0, "mme": 1100.0}),
    ]


def test_columns_follow_the_tower_and_cells_hold_score_and_difference(runs: list[RunResults]) -> None:
    table = build_ablation_table(runs)
    assert table.variants == ["full", "−CLIP", "−SAM", "blind"]
    assert [row.task for row in table.rows] == ["textvqa", "mme", "pope"]  # the paper's column order
    text = render_ablation_table(table, "markdown")
    header = text.splitlines()[0]
    assert [c.strip() for c in header.strip("|").split("|")] == ["Model", "Task", "full", "−CLIP", "−SAM", "blind", GAIN]
    textvqa = next(line for line in text.splitlines() if "textvqa" in line)
    cells = [c.strip() for c in textvqa.strip("|").split("|")]
    # 68.1 − 71.2 = −3.1 on the printed values; gain 71.2 − 20.0 = 51.2.
    assert cells == ["eagle-x5-7b", "textvqa", "71.2", "40.0 (−31.2)", "68.1 (−3.1)", "20.0", "+51.2"]
    mme = [c.strip() for c in next(line for line in text.splitlines() if "| mme" in line).strip("|").split("|")]
    assert mme[2:] == ["1529", "1100 (−429)", "1500 (−29)", "900", "+629"]
    pope = [c.strip() for c in next(line for line in text.splitlines() if "pope" in line).strip("|").split("|")]
    assert pope[3] == "" and pope[-1] == "+38.8"  # no −CLIP POPE run: an empty cell, not a zero


@pytest.mark.parametrize("fmt", ["markdown", "latex", "csv", "html", "json"])
def test_renders_in_every_format(runs: list[RunResults], fmt: str) -> None:
    text = render_ablation_table(build_ablation_table(runs), fmt)
    assert "textvqa" in text and "eagle-x5-7b" in text
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        textvqa = rows[0]
        assert (textvqa["full"], textvqa["−SAM"], textvqa["−SAM Δ"], textvqa["blind"], textvqa["gain"]) == (
            "71.2", "68.1", "-3.1", "20.0", "51.2")
        assert rows[1]["gain"] == "629.0" and rows[1]["units"] == "mme_points"
    elif fmt == "json":
        document = json.loads(text)
        assert document["variants"] == ["full", "−CLIP", "−SAM", "blind"]
        textvqa = document["rows"][0]
        assert textvqa["values"]["−SAM"] == 68.14 and textvqa["difference_from_full"]["−SAM"] == -3.1
        assert textvqa["gain"] == 51.2
    elif fmt == "latex":
        assert r"\begin{tabular}" in text and "$-$SAM" in text and "68.1 ($-$3.1)" in text
    elif fmt == "html":
        assert "<table>" in text and "<td>68.1 (−3.1)</td>" in text
    else:
        assert "| full" in text


def test_runs_of_one_variant_merge_and_the_newest_wins(runs: list[RunResults]) -> None:
    runs.append(_run(Ablation(experts=("sam",)), [SAM], {"pope": 80.0}, created="2026-02-01"))
    runs.append(_run(Ablation(experts=("sam",)), [SAM], {"pope": 10.0}, created="2025-01-01"))
    pope = next(row for row in build_ablation_table(runs).rows if row.task == "pope")
    assert pope.values["−SAM"] == 80.0


def test_unpaired_and_subset_results_are_marked(runs: list[RunResults]) -> None:
    runs[0] = _run(Ablation(blind=True), [], {"textvqa": 20.0}, n=50, subset=True)
    text = render_ablation_table(build_ablation_table(runs), "markdown")
    assert "20.0*≠" in text
    assert "≠ scored on another number of samples" in text and "* a subset" in text


def test_variant_is_written_and_read_back_and_labels_the_benchmark_table(tmp_path, runs: list[RunResults]) -> None:
    for run in runs:
        write_results(tmp_path / run.run_id / "results.json", run)
    loaded = [load_results(tmp_path / run.run_id) for run in runs]
    assert loaded[1].variant == runs[1].variant and loaded[1].variant.knocked_out == [
        {"expert": "sam-1024", "label": "SAM", "index": 2}]
    assert loaded[2].variant is None
    assert [run.display_name for run in loaded] == ["eagle-x5-7b blind", "eagle-x5-7b −SAM", "eagle-x5-7b",
                                                    "eagle-x5-7b −CLIP"]
    rows = build_table(loaded)
    assert sorted(row.label for row in rows) == sorted(run.display_name for run in loaded)
    assert all(row.model == "eagle-x5-7b" for row in rows)  # one model, four variants
    assert "eagle-x5-7b −SAM" in render_table(rows, "markdown")


def test_compare_names_both_variants(eagle, tmp_path, runs: list[RunResults]) -> None:
    paths = {}
    for run in runs[1:3]:
        paths[run.display_name] = tmp_path / run.run_id / "results.json"
        write_results(paths[run.display_name], run)
    result = eagle("compare", paths["eagle-x5-7b −SAM"], "--baseline", paths["eagle-x5-7b"], "--max-drop", "50")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].startswith("eagle-x5-7b −SAM (") and "vs baseline eagle-x5-7b (" in result.out
    result = eagle("compare", paths["eagle-x5-7b −SAM"], "--baseline", paths["eagle-x5-7b"])
    assert result.code == 1  # −SAM lost 3.1 TextVQA points: beyond the default 0.5 tolerance
