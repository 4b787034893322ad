"""One board in all five formats, checked to agree cell for cell; the HTML page in a real browser;
the board on an 80-column terminal.

The board is the fixture board (tests/results/conftest.py) with two published rows, so it has runs,
published rows, Δ rows, failed-sample and unpinned marks and rank intervals.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest

from eagle_eval.results.latex import MARK_MATH
from tests.report.test_report_browser import browser  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.slow
ARGS = ("--reference", "Eagle-X5-7B,LLaVA-1.5-7B", "--tasks", "gqa,pope", "--rank-subsets")
KIND = {"run": "model", "reference": "published", "delta": "delta"}


def _render(eagle, board, fmt: str) -> str:
    result = eagle("table", board["out"], *ARGS, "--format", fmt)
    assert result.code == 0, result.err
    return result.out


def _expected(eagle, board) -> tuple[list[str], list[dict]]:
    document = json.loads(_render(eagle, board, "json"))
    return document["columns"], document["rows"]


def _markdown(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("|") and not set(line) <= set("|-: ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines][1:]


_MARK_OF = {f"{name}": mark for mark, name in MARK_MATH.items()}


def _from_latex(cell: str) -> str:
    """A LaTeX cell back as the text formats print it: `$-$` a minus, `$^{\\S\\times3}$` the marks `§✗3`."""
    text = cell.replace("$-$", "-").replace("\\_", "_").replace("$\\Delta$", "Δ")
    marks = re.search(r"\$\^\{?(.*?)\}?\$$", text)
    if marks:
        names = re.findall(r"\\[A-Za-z]+|.", marks.group(1))
        text = text[: marks.start()] + "".join(_MARK_OF[name] for name in names)
    return text


def _latex(text: str) -> list[list[str]]:
    body = text.split("\\midrule\n")[1].split("\\bottomrule")[0]
    return [[_from_latex(cell.strip()) for cell in line.removesuffix(" \\\\").split(" & ")] for line in body.splitlines()]


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td":
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        if self._in_body and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def _html(text: str) -> list[list[str]]:
    parser = _Cells()
    parser.feed(text)
    return parser.rows


def test_all_five_formats_agree_cell_for_cell(board, eagle):
    columns, rows = _expected(eagle, board)
    assert {row["kind"] for row in rows} == {"run", "reference", "delta"}
    expected = [[row["rank_printed"], row["label"], "" if row["kind"] == "delta" or row["score"] is None
                 else f"{row['score']:.1f}", *(row["printed"][c] for c in columns)] for row in rows]
    assert any("✗3" in cell for line in expected for cell in line)  # the failed samples' mark is on the board
    assert any(line[0].startswith("(") for line in expected)  # a published row, placed by value
    latex = _render(eagle, board, "latex")
    assert "\\toprule" in latex and "\\bottomrule" in latex and latex.isascii()
    for name, parsed in (("markdown", _markdown(_render(eagle, board, "markdown"))), ("latex", _latex(latex)),
                         ("html", _html(_render(eagle, board, "html")))):
        assert parsed == expected, name
    table = list(csv.DictReader(io.StringIO(_render(eagle, board, "csv"))))
    assert [record["Model"] for record in table] == [row["label"] for row in rows]
    for record, row in zip(table, rows, strict=True):
        assert record["kind"] == KIND[row["kind"]]
        assert record["rank"] == ("" if row["rank"] is None else str(row["rank"]))
        for column in columns:
            number = re.match(r"[+-]?\d+(\.\d+)?", row["printed"][column])
            assert (float(record[column]) if record[column] else None) == (float(number.group()) if number else None)
            assert record.get(f"{column} marks", "") == row["marks"].get(column, "")


def test_the_html_page_sorts_in_a_browser(board, eagle, browser, tmp_path):  # noqa: F811 - the shared fixture
    page = tmp_path / "board.html"
    page.write_text(_render(eagle, board, "html"), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.execute_script("return document.characterSet") == "UTF-8"
    assert browser.execute_script("return document.compatMode") == "CSS1Compat"  # a doctype: standards mode

    def labels() -> list[str]:
        return browser.execute_script(
            "return Array.from(document.querySelectorAll('tbody tr:first-child td:nth-child(2)'))"
            ".map(td => td.textContent)")

    def align(selector: str) -> str:
        return browser.execute_script(f"return getComputedStyle(document.querySelector('{selector}')).textAlign")

    assert align("tbody td.num") == "right"
    first = labels()
    score_header = browser.find_element("xpath", "//th[text()='Score']")
    score_header.click()  # ascending: lowest score first
    ascending = labels()
    assert ascending != first and sorted(ascending) == sorted(first)
    score_header.click()
    assert labels()[0] == "baseline"
    # A Δ row moves with its run.
    groups = browser.execute_script("return Array.from(document.querySelectorAll('tbody'))"
                                    ".map(b => Array.from(b.rows).map(r => r.cells[1].textContent))")
    assert all(all(label.startswith(f"Δ {group[0]} vs") for label in group[1:]) for group in groups)
    assert not [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_the_terminal_board_fits_80_columns_and_piped_output_is_whole(board, eagle, monkeypatch):
    from eagle_eval.results.discovery import find_results_files
    from eagle_eval.results.document import load_results
    from eagle_eval.results.reference import select_references
    from eagle_eval.results.table_formats import render_for_terminal
    from eagle_eval.results.tables import BoardOptions, build_leaderboard

    runs = [(path, load_results(path)) for path in find_results_files([board["out"]])]
    for spec in ("", "Eagle-X5-7B", "all"):
        rows, ranking = build_leaderboard(runs, select_references(spec) if spec else [],
                                          BoardOptions(named_references=bool(spec)))
        text = render_for_terminal(rows, ranking, "none", 80)
        assert max(len(line) for line in text.splitlines()) <= 80, spec
        for row in rows:  # every row is there, its label shortened at most
            assert row.label[:20] in text
    piped = eagle("table", board["out"], "--reference", "all").out  # not a terminal: the whole markdown table
    assert piped.startswith("| ") and "LLaVA-NeXT-Vicuna-13B (reported by Cambrian-1)" in piped
    assert "…" not in piped
