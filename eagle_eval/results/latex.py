"""Text as LaTeX source for the tables: plain ASCII that pdflatex reads without a Unicode setup.

The tables' own symbols keep the look of a paper's table (`$\\pm$`, `$-$`, `$\\Delta$`; marks as
superscripts, `71.5$^\\ddagger$`) and LaTeX's ten special characters are escaped here; any other
non-ASCII character (an accented letter in a model name or run id) goes through pylatexenc's
Unicode-to-LaTeX table, which knows far more characters than a hand-made one. A character LaTeX has no name for is written as its
code point (`U+65E5`), visibly, never dropped.
"""

from __future__ import annotations

import re
from functools import cache

# The symbols the tables print, in the form a results table in a paper uses.
SYMBOLS = {"±": r"$\pm$", "−": "$-$", "Δ": r"$\Delta$", "≠": r"$\neq$"}
# Table marks (eagle_eval/results/tables.py, eagle_eval/ablation/table.py) in math mode, for superscripts after a number.
MARK_MATH = {"*": "*", "†": r"\dagger", "‡": r"\ddagger", "§": r"\S", "¶": r"\P", "≠": r"\neq", "≈": r"\approx",
             "✗": r"\times", "○": r"\circ", **{digit: digit for digit in "0123456789"}}
# The same marks where they start a footnote line rather than follow a number.
MARK_NAMES = {"*": "*", "†": r"\dag", "‡": r"\ddag", "§": r"\S", "¶": r"\P", "≠": r"$\neq$", "≈": r"$\approx$",
              "✗": r"$\times$N", "○": r"$\circ$"}

_SYMBOL = re.compile("|".join(map(re.escape, SYMBOLS)))


@cache
def _encoder():
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    return UnicodeToLatexEncoder(non_ascii_only=False, unknown_char_policy="unihex", unknown_char_warning=False)


def latex_text(text: str) -> str:
    """`text` as LaTeX: special characters escaped, the tables' symbols as math, the rest by name."""
    parts: list[str] = []
    position = 0
    for match in _SYMBOL.finditer(text):
        parts.append(_plain(text[position:match.start()]))
        parts.append(SYMBOLS[match.group()])
        position = match.end()
    parts.append(_plain(text[position:]))
    return "".join(parts)


def latex_marks(marks: str) -> str:
    """A cell's marks as one superscript: `‡` -> `$^\\ddagger$`, `*‡` -> `$^{*\\ddagger}$`."""
    if not marks:
        return ""
    names = [MARK_MATH[mark] for mark in marks]
    return f"$^{names[0]}$" if len(names) == 1 else "$^{" + "".join(names) + "}$"


def latex_note(mark: str, note: str) -> str:
    """A footnote line of the table, as a LaTeX comment under it: `% \\ddag not the paper's ...`."""
    return f"% {MARK_NAMES[mark]} {latex_text(note)}"


# LaTeX's special characters, as its own manuals write them in text.
SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_SPECIAL = re.compile(r"[\\&%#_${}~^]")


def _plain(text: str) -> str:
    if text.isascii():
        return _SPECIAL.sub(lambda match: SPECIALS[match.group()], text)
    return _encoder().unicode_to_latex(text)
