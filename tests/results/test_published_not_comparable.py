"""A published cell of another split or metric is shown marked `≠`, with its footnote, and never compared.

Eagle2-9B's README (NVlabs/Eagle @5d7476c) prints MME as the sum of perception and cognition and
MMBench as v1.1 test; our columns are MME perception and MMBench-EN dev.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from eagle_eval.results.reference import select_references
from eagle_eval.results.table_rows import NOT_COMPARABLE_MARK, NOTES, delta_row, reference_row
from eagle_eval.results.tables import BoardOptions, build_leaderboard, rank_table_rows, render_table
from tests.results.test_tables import markdown_rows

COLUMNS = ["GQA", "VQAv2", "VizWiz", "TextVQA", "ChartQA", "OCRBench", "MME", "MMBench", "SEED", "MathVista", "MMMU",
           "SQA", "POPE"]


def column(row: list[str], name: str) -> str:
    return row[1 + COLUMNS.index(name)]


def test_the_differently_split_cells_render_marked_with_their_footnote(toy_world, eagle, write_run):
    path = write_run("eagle2-9b", {"textvqa": ("TextVQA", 82.04), "mme": ("MME", 1650.0), "mmbench": ("MMBench", 79.0)})
    result = eagle("table", path, "--tasks", "paper", "--reference", "eagle2-9b")
    assert result.code == 0, result.err
    header, *rows = markdown_rows(result.out)
    by_label = {row[0]: row for row in rows}
    published, run, delta = by_label["Eagle2-9B"], by_label["eagle2-9b"], by_label["Δ eagle2-9b vs Eagle2-9B"]
    assert column(published, "MME") == "2260≠" and column(published, "MMBench") == "80.6≠"
    assert column(published, "TextVQA") == "83.0" and column(published, "SEED") == "77.1"  # same split: no mark
    assert f"{NOT_COMPARABLE_MARK} {NOTES[NOT_COMPARABLE_MARK]}" in result.out
    assert "MME sum (perception + cognition" in result.out and "MMBench v1.1 test" in result.out  # the row's note
    # The Δ row compares only the comparable cells: 82.0 - 83.0; none for MME or MMBench.
    assert column(delta, "TextVQA") == "-1.0" and column(delta, "MME") == "" and column(delta, "MMBench") == ""
    assert column(run, "MME") == "1650"


def test_a_not_comparable_cell_is_left_out_of_the_ranking_and_says_why(toy_world, write_run, tmp_path):
    from eagle_eval.results.discovery import find_results_files
    from eagle_eval.results.document import load_results

    write_run("eagle2-9b", {"textvqa": ("TextVQA", 82.0), "mme": ("MME", 1650.0)})
    runs = [(path, load_results(path)) for path in find_results_files([tmp_path])]
    references = select_references("eagle2-9b")
    rows, ranking = build_leaderboard(runs, references, BoardOptions(columns=["textvqa", "mme"], named_references=True))
    (published,) = [row for row in rows if row.kind == "reference"]
    assert ranking.columns == ("TextVQA", "MME")
    assert published.rank is None and published.score is None
    assert published.left_out == "MME published for another split or metric (≠)"
    assert "Not ranked: Eagle2-9B (MME published for another split or metric (≠))." in render_table(rows, "markdown",
                                                                                                     ranking)
    # Ranked over TextVQA alone, the published row takes part with its comparable value.
    rows, ranking = build_leaderboard(runs, references, BoardOptions(columns=["textvqa"], named_references=True))
    assert [(row.label, row.rank) for row in rows if row.kind != "delta"] == [("Eagle2-9B", 1), ("eagle2-9b", 2)]


def test_the_mark_is_in_every_format_and_the_value_is_never_in_a_delta():
    (published,) = [reference_row(row) for row in select_references("eagle2.5-8b")]
    assert published.marks == {"MMBench": NOT_COMPARABLE_MARK} and published.values["MMBench"] == 81.7
    ranked, ranking = rank_table_rows([published])
    assert "MMBench" not in ranking.columns
    for fmt in ("latex", "html", "json"):  # the footnote; csv has the marks in a column of their own
        text = render_table(ranked, fmt, ranking)
        assert "published for another split or metric than the column" in text, fmt
    header, line = render_table(ranked, "csv", ranking).splitlines()
    assert header.endswith(",MMBench marks") and line.endswith(f",{NOT_COMPARABLE_MARK}")
    assert json.loads(render_table(ranked, "json", ranking))["rows"][0]["marks"] == {"MMBench": NOT_COMPARABLE_MARK}
    run = replace(published, kind="run", label="run", marks={}, not_comparable=frozenset())
    assert delta_row(run, published).values["MMBench"] is None and delta_row(run, published).values["TextVQA"] == 0.0


def test_the_report_shows_a_not_comparable_paper_value_without_a_delta(tmp_path: Path):
    from eagle_eval.report import ReportOptions, build_report
    from eagle_eval.report.fixture_runs import write_synthetic_run
    from eagle_eval.results.document import load_results, write_results

    run_dir = write_synthetic_run(tmp_path, 12)
    results = load_results(run_dir / "results.json")
    results.results = {name: replace(task, paper_column="MMBench") for name, task in results.results.items()}
    write_results(run_dir / "results.json", results)
    view = build_report(run_dir, ReportOptions(reference="eagle2.5-8b"))
    (task,) = view.tasks
    assert task.paper_value == pytest.approx(81.7) and task.paper_delta is None
    assert any("not comparable" in note and "MMBench v1.1 test" in note for note in task.notes)
