"""Leaderboards: runs of several models ranked with published rows, by the stated rule, in every format."""

from __future__ import annotations

import json

from eagle_eval.results.ranking import rank_rows
from eagle_eval.results.reference import load_reference_rows, select_references


def _board(eagle, *argv: str) -> dict:
    result = eagle("table", *argv, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_runs_of_two_models_rank_with_their_published_rows(toy_world, eagle, write_run, tmp_path):
    write_run("llava-1.5-7b", {"textvqa": ("TextVQA", 60.04), "pope": ("POPE", 86.0), "mme": ("MME", 1500.4)})
    write_run("eagle-x5-7b", {"textvqa": ("TextVQA", 71.0), "pope": ("POPE", 88.0), "mme": ("MME", 1520.0),
                              "gqa": ("GQA", 64.0)})
    board = _board(eagle, str(tmp_path), "--reference", "LLaVA-1.5-7B,Eagle-X5-7B")
    assert board["schema"] == "eagle-eval.leaderboard/2"
    # Columns every model row has: TextVQA, MME, POPE (LLaVA-1.5-7B's published row has no ChartQA etc.).
    assert board["ranking_columns"] == ["TextVQA", "MME", "POPE"]
    assert "mean over the ranking columns" in board["rule"]
    order = [(row["label"], row["kind"], row["rank"]) for row in board["rows"]]
    # Scores as printed, MME/20:  Eagle-X5-7B (71.2 + 76.4 + 88.8) / 3 = 78.8;  eagle-x5-7b (71.0 + 76.0 + 88.0) / 3
    # = 78.333;  llava-1.5-7b (60.0 + 75.0 + 86.0) / 3 = 73.667;  LLaVA-1.5-7B (58.2 + 75.55 + 85.9) / 3 = 73.217.
    assert order == [
        ("Eagle-X5-7B", "reference", 1),
        ("eagle-x5-7b", "run", 2),
        ("Δ eagle-x5-7b vs Eagle-X5-7B", "delta", None),
        ("llava-1.5-7b", "run", 3),
        ("Δ llava-1.5-7b vs LLaVA-1.5-7B", "delta", None),  # each run beside its own model's published row
        ("LLaVA-1.5-7B", "reference", 4),
    ]
    scores = {row["label"]: row["score"] for row in board["rows"] if row["kind"] != "delta"}
    assert scores == {"Eagle-X5-7B": 78.8, "eagle-x5-7b": 78.3333, "llava-1.5-7b": 73.6667, "LLaVA-1.5-7B": 73.2167}
    llava = next(row for row in board["rows"] if row["label"] == "LLaVA-1.5-7B")
    assert "haotian-liu/LLaVA docs/MODEL_ZOO.md" in llava["source"] and llava["values"]["MME"] == 1510.7
    assert llava["printed"]["MME"] == "1511" and llava["values"]["ChartQA"] is None
    delta = next(row for row in board["rows"] if row["label"] == "Δ llava-1.5-7b vs LLaVA-1.5-7B")
    assert delta["printed"]["TextVQA"] == "+1.8" and delta["printed"]["MME"] == "-11"


def test_the_rule_is_printed_with_the_table(toy_world, eagle, write_run, tmp_path):
    write_run("a", {"textvqa": ("TextVQA", 50.0)})
    write_run("b", {"textvqa": ("TextVQA", 60.0), "pope": ("POPE", 80.0)})
    markdown = eagle("table", str(tmp_path)).out
    assert "Rows ranked by the mean over the ranking columns" in markdown
    assert "ranking columns: TextVQA." in markdown
    assert markdown.index("| b ") < markdown.index("| a ")
    assert "% rows ranked by" in eagle("table", str(tmp_path), "--format", "latex").out
    assert '<p class="note">Rows ranked by' in eagle("table", str(tmp_path), "--format", "html").out


def test_equal_scores_share_a_rank_and_keep_their_order():
    ranking = rank_rows([{"TextVQA": 50.0}, {"TextVQA": 70.04}, {"TextVQA": 69.96}, {"TextVQA": 40.0}], ["TextVQA"])
    # 70.04 and 69.96 both print as 70.0: a tie, in input order.
    assert ranking.order == (1, 2, 0, 3) and ranking.ranks == (3, 1, 1, 4)


def test_a_row_without_a_ranking_column_is_left_out_and_the_rest_ranked(toy_world, eagle, write_run, tmp_path):
    write_run("a", {"textvqa": ("TextVQA", 50.0), "pope": ("POPE", 70.0)})
    write_run("b", {"pope": ("POPE", 80.0)})
    write_run("c", {"textvqa": ("TextVQA", 40.0), "pope": ("POPE", 60.0)})
    # By default the columns the most rows share: POPE, which all three have.
    board = _board(eagle, str(tmp_path))
    assert board["ranking_columns"] == ["POPE"] and [row["label"] for row in board["rows"]] == ["b", "a", "c"]
    # Asked for both columns, a and c are ranked; b has no TextVQA: it is left out, and the table says so,
    # rather than the ranking being switched off for all three.
    both = _board(eagle, str(tmp_path), "--tasks", "textvqa,pope")
    assert both["columns"] == both["ranking_columns"] == ["TextVQA", "POPE"]
    assert [(row["label"], row["rank"], row["left_out"]) for row in both["rows"]] == [
        ("a", 1, None), ("c", 2, None), ("b", None, "no value for TextVQA")]
    assert "Not ranked: b (no value for TextVQA)." in eagle("table", str(tmp_path), "--tasks", "textvqa,pope").out


def test_every_published_row_names_its_source():
    rows = load_reference_rows()
    assert all(row.source for row in rows)
    comparison = [row for row in rows if row.table is None and row.reported_by == "LLaVA"]
    assert {row.model for row in comparison} == {"LLaVA-1.5-7B", "LLaVA-1.5-13B", "LLaVA-NeXT-Vicuna-7B",
                                                 "LLaVA-NeXT-Vicuna-13B", "LLaVA-NeXT-34B"}
    assert all("haotian-liu/LLaVA docs/MODEL_ZOO.md @c121f04" in row.source for row in comparison)
    (next_13b,) = select_references("llava-next-vicuna-13b")
    assert next_13b.values["MMMU"] == 36.2 and next_13b.values["MME"] == 1575 and next_13b.values["OCRBench"] is None
