"""LaTeX tables are ASCII LaTeX source, and every footnote of every format is a whole sentence."""

from __future__ import annotations

import json
import re

import pytest

from eagle_eval.ablation import table as ablation_table
from eagle_eval.ablation.spec import BLIND_LABEL
from eagle_eval.ablation.table import FULL, AblationRow, AblationTable, render_ablation_table
from eagle_eval.results import tables
from eagle_eval.results.latex import latex_note, latex_text
from eagle_eval.results.reference import PAPER_COLUMNS, select_references
from eagle_eval.results.table_rows import INCOMPLETE_MARK
from eagle_eval.results.tables import (
    DRIFT_MARK,
    ERROR_MARK,
    NOTES,
    PARTIAL_MARK,
    SERVER_MARK,
    SUBSET_MARK,
    UNCERTAINTY_NOTES,
    UNPINNED_MARK,
    VARIANT_MARK,
    TableRow,
    delta_row,
    rank_table_rows,
    reference_row,
    render_table,
)

# A sentence cut short ends on a word that needs one after it.
DANGLING = {"the", "a", "an", "of", "for", "to", "and", "or", "by", "in", "at", "with", "paper's", "its"}


def marked_leaderboard() -> tuple[list[TableRow], tables.Ranking]:
    """A run whose cells carry every mark (two on one cell), under published rows, with a delta row."""
    values = {column: 50.0 for column in PAPER_COLUMNS} | {"MME": 1500.0, "OCRBench": 600.0}
    run = TableRow(
        label="eagle-x5-7b −SAM (Müller_run #2)", values=values, model="eagle-x5-7b",
        marks={"GQA": SUBSET_MARK, "VQAv2": SERVER_MARK, "VizWiz": VARIANT_MARK, "TextVQA": SUBSET_MARK + VARIANT_MARK,
               "ChartQA": UNPINNED_MARK, "MME": PARTIAL_MARK, "MMBench": DRIFT_MARK, "SEED": ERROR_MARK,
               "MMMU": INCOMPLETE_MARK},
        errors={"GQA": (0.6, 48.8, 51.2), "MME": (3.0, 1494.0, 1506.0)}, failed={"SEED": 3},
    )
    references = [reference_row(ref) for ref in select_references("all")]
    ranked, ranking = rank_table_rows([*references, run])
    return [*ranked, delta_row(run, references[0])], ranking


def unescaped(text: str, char: str) -> int:
    return len(re.findall(rf"(?<!\\){re.escape(char)}", text.replace("\\\\", "")))


def assert_ascii_latex(text: str) -> None:
    assert text.isascii(), sorted({c for c in text if not c.isascii()})
    body = "\n".join(line for line in text.splitlines() if not line.startswith("%"))
    assert unescaped(body, "{") == unescaped(body, "}")
    depth = 0
    for char in re.sub(r"\\[{}]", "", body.replace("\\\\", "")):
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    for line in body.splitlines():
        assert unescaped(line, "$") % 2 == 0, line  # math opened on a line closes on it
    assert body.count(r"\begin{tabular}") == body.count(r"\end{tabular}") == 1


@pytest.mark.parametrize("uncertainty", ["none", "se", "ci"])
def test_the_leaderboard_in_latex_is_ascii_with_balanced_braces(uncertainty: str) -> None:
    rows, ranking = marked_leaderboard()
    text = render_table(rows, "latex", ranking, uncertainty=uncertainty)
    assert_ascii_latex(text)
    assert r"50.0$^{*\ddagger}$" in text and r"50.0$^\ddagger$" in text and r"$^\dagger$" in text
    assert r"$^\S$" in text and r"$^\P$" in text
    assert r"eagle-x5-7b $-$SAM (M\"uller\_run \#2)" in text
    assert r"\ddag " in text and r"\S " in text  # the footnotes name their marks in LaTeX
    if uncertainty == "se":
        assert r"50.0 $\pm$ 0.6$^*$" in text


def test_the_ablation_table_in_latex_is_ascii_with_balanced_braces() -> None:
    text = render_ablation_table(ablation_with_every_mark(), "latex")
    assert_ascii_latex(text)
    assert r"$^{*\neq}$" in text and "$-$SAM" in text


def test_a_character_latex_has_no_name_for_shows_its_code_point() -> None:
    assert latex_text("模型").isascii() and "U+6A21" in latex_text("模型")


def ablation_with_every_mark() -> AblationTable:
    row = AblationRow(model="eagle-x5-7b", task="textvqa", units="percent",
                      values={FULL: 71.2, "−SAM": 68.1, BLIND_LABEL: 20.0}, marks={"−SAM": "*≠"})
    return AblationTable(variants=[FULL, "−SAM", BLIND_LABEL], rows=[row])


@pytest.mark.parametrize("notes", [NOTES, ablation_table.NOTES, UNCERTAINTY_NOTES], ids=["marks", "ablation", "error"])
def test_every_note_is_a_whole_sentence(notes: dict[str, str]) -> None:
    for note in notes.values():
        assert note.endswith(".") and note.count("(") == note.count(")"), note
        assert note.rstrip(".").split()[-1].lower() not in DANGLING, note


def test_the_variant_note_says_why_the_column_holds_a_variant() -> None:
    note = NOTES[VARIANT_MARK]
    assert "for want of the paper's" not in note and "fills the column because" in note


def printed_notes(text: str, fmt: str) -> dict[str, str]:
    """The footnote under a table, per mark, as the format prints it."""
    if fmt == "json":
        return json.loads(text)["notes"]
    found = {}
    for mark in NOTES:
        if fmt == "markdown":
            lines = [line[len(mark) + 1:] for line in text.splitlines() if line.startswith(f"{mark} ")]
        elif fmt == "html":
            lines = re.findall(rf"<p class=\"note\">{re.escape(mark)} (.*)</p>", text)
        else:
            lines = [line for line in text.splitlines() if line.startswith(latex_note(mark, "")[:-1])]
        if lines:
            (found[mark],) = lines
    return found


@pytest.mark.parametrize("fmt", ["markdown", "html", "latex", "json"])
def test_every_footnote_of_every_format_is_whole(fmt: str) -> None:
    rows, ranking = marked_leaderboard()
    text = render_table(rows, fmt, ranking, uncertainty="se")
    notes = printed_notes(text, fmt)
    assert set(notes) == set(NOTES)  # every mark the table uses has its note
    for mark, printed in notes.items():
        expected = {"markdown": NOTES[mark], "json": NOTES[mark], "latex": latex_note(mark, NOTES[mark]),
                    "html": NOTES[mark].replace("'", "&#x27;")}[fmt]
        assert printed == expected and printed.endswith("."), (mark, printed)
    if fmt != "json":
        error_note = {"markdown": UNCERTAINTY_NOTES["se"], "html": UNCERTAINTY_NOTES["se"],
                      "latex": "% " + latex_text(UNCERTAINTY_NOTES["se"])}[fmt]
        assert error_note in text
        last_note = text.split("<script>")[0].rstrip() if fmt == "html" else text.rstrip()
        assert last_note.endswith((".", ".</p>"))
        ranking_line = [line for line in text.splitlines() if "ranked by" in line]
        assert ranking_line and all(line.removesuffix("</p>").endswith(".") for line in ranking_line)


@pytest.mark.parametrize("fmt", ["markdown", "html", "latex", "json"])
def test_every_footnote_of_the_ablation_table_is_whole(fmt: str) -> None:
    text = render_ablation_table(ablation_with_every_mark(), fmt)
    for mark, note in ablation_table.NOTES.items():
        expected = {"latex": latex_note(mark, note), "html": note}.get(fmt, f"{mark} {note}")
        assert expected in text, (fmt, mark)
