"""The paper table: columns, units, reference rows, deltas, leaderboard order, formats."""

from __future__ import annotations

import io
from importlib.resources import files
from pathlib import Path

import pandas
import pytest

from eagle_eval.api.registry import UnknownNameError
from eagle_eval.results.reference import PAPER_COLUMNS, load_reference_rows, select_references

REPO = Path(__file__).resolve().parents[2]
COLUMNS = ["GQA", "VQAv2", "VizWiz", "TextVQA", "ChartQA", "OCRBench", "MME", "MMBench", "SEED", "MathVista", "MMMU", "SQA", "POPE"]


def markdown_rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines if not set(line) <= set("|-: ")]
    return [[row[1], *row[3:]] for row in rows]  # without the Rank and Score columns


def test_reference_csv_copies_are_identical():
    for name in ("eagle_readme_tables.csv", "comparison_models.csv", "eagle2_readme_tables.csv"):
        packaged = (files("eagle_eval.results") / "published" / name).read_bytes()
        assert packaged == (REPO / "results" / "reference" / name).read_bytes(), name
    # The numbers against the handed-over copy, and every label: tests/results/test_published_rows.py.


def test_reference_rows_and_names():
    assert list(PAPER_COLUMNS) == COLUMNS
    (x5,) = select_references("eagle-x5-7b")
    assert x5.model == "Eagle-X5-7B" and x5.values["TextVQA"] == 71.2 and x5.values["POPE"] == 88.8
    assert x5.values["OCRBench"] == 529 and x5.values["MME"] == 1528
    assert "NVlabs/EAGLE README" in x5.source
    assert len(select_references("LLaVA-NeXT")) == 3  # the README's name, one row per LLM
    assert [r.label for r in select_references("llava-next (yi-34b)")] == ["LLaVA-NeXT-34B (reported by Cambrian-1)"]
    assert len(select_references("all")) == len(load_reference_rows()) == 16 + 5 + 4  # README rows, comparison models, Eagle 2/2.5
    with pytest.raises(UnknownNameError, match="Did you mean Eagle-X5-7B"):
        select_references("Eagle-X5-7")


def test_table_has_13_columns_reference_row_and_delta(toy_world, eagle, write_run):
    path = write_run("eagle-x5-7b", {"textvqa": ("TextVQA", 71.46), "pope": ("POPE", 88.04), "mme": ("MME", 1530.6),
                                     "textvqa_no_ocr": (None, 60.0)})
    result = eagle("table", path, "--reference", "eagle-x5-7b")
    assert result.code == 0, result.err
    header, reference, run, delta = markdown_rows(result.out)
    assert header == ["Model", *COLUMNS]
    assert reference[0] == "Eagle-X5-7B" and reference[4] == "71.2" and reference[13] == "88.8" and reference[7] == "1528"
    assert run[0] == "eagle-x5-7b"
    assert run[4] == "71.5" and run[13] == "88.0" and run[7] == "1531"
    assert run[1] == "" and run[6] == ""  # tasks not run stay empty; the variant has no column
    assert delta[0] == "Δ eagle-x5-7b vs Eagle-X5-7B"
    # 71.5 - 71.2 = +0.3; 88.0 - 88.8 = -0.8; 1531 - 1528 = +3 (each on the printed values).
    assert delta[4] == "+0.3" and delta[13] == "-0.8" and delta[7] == "+3"
    assert delta[1] == ""


def test_several_runs_rank_best_first_on_shared_columns(toy_world, eagle, write_run, tmp_path):
    write_run("weak", {"textvqa": ("TextVQA", 50.0), "mme": ("MME", 1900.0)})
    write_run("strong", {"textvqa": ("TextVQA", 70.0), "mme": ("MME", 1200.0), "pope": ("POPE", 10.0)})
    # Shared: TextVQA and MME/20. weak: (50 + 95) / 2 = 72.5; strong: (70 + 60) / 2 = 65 → weak first.
    result = eagle("table", tmp_path)
    assert result.code == 0, result.err
    assert [row[0] for row in markdown_rows(result.out)[1:]] == ["weak", "strong"]


def test_subset_and_server_scored_values_are_marked(toy_world, eagle, write_run):
    path = write_run("m", {"textvqa": ("TextVQA", 40.0), "vqav2_test": ("VQAv2", None)},
                     subset={"textvqa"}, server={"vqav2_test"})
    result = eagle("table", path, "--tasks", "paper")
    _, run = markdown_rows(result.out)
    assert run[4] == "40.0*" and run[2] == "†"
    assert "* subset of the data" in result.out and "† server-scored" in result.out


def test_csv_latex_and_html_formats(toy_world, eagle, write_run):
    path = write_run("my_model", {"textvqa": ("TextVQA", 71.46), "ocrbench": ("OCRBench", 530.2)}, subset={"ocrbench"})
    csv_out = eagle("table", path, "--format", "csv", "--reference", "Eagle-X5-7B", "--tasks", "paper",
                    "--rank-subsets").out
    frame = pandas.read_csv(io.StringIO(csv_out))
    assert list(frame.columns) == ["kind", "rank", "rank_low", "rank_high", "Model", "score", "left_out", "source",
                                   *COLUMNS, "OCRBench marks"]
    # Ranked together on TextVQA and OCRBench/10: (71.5 + 53.0) / 2 = 62.25 beats (71.2 + 52.9) / 2 = 62.05.
    assert list(frame["Model"]) == ["my_model", "Δ my_model vs Eagle-X5-7B", "Eagle-X5-7B"]
    assert list(frame["kind"]) == ["model", "delta", "published"]
    assert list(frame["TextVQA"]) == [71.5, 0.3, 71.2]
    assert list(frame["OCRBench"]) == [530, 1, 529]
    assert list(frame["OCRBench marks"].fillna("")) == ["*", "", ""]

    latex = eagle("table", path, "--format", "latex").out
    assert "\\begin{tabular}" in latex and "my\\_model" in latex and "530$^*$" in latex
    html_out = eagle("table", path, "--format", "html", "--reference", "eagle-x5-7b").out
    assert html_out.startswith("<!doctype html>") and '<meta charset="utf-8">' in html_out
    assert html_out.count("<tr") == 4 and '>POPE</th>' in html_out


def test_table_of_missing_or_invalid_files_exits_2(toy_world, eagle, tmp_path):
    assert eagle("table", tmp_path / "missing.json").code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    result = eagle("table", empty)
    assert result.code == 2 and "no results.json found" in result.err
