"""Multiple-choice answer extraction: which option letter a free-text answer names.

The rules are those MMBench's official evaluator (and lmms-eval 0.7.3's copy of it) applies before it
asks a judge, so scores match the paper's harness:

1. `infer_option_letter`: the answer's whitespace-separated tokens name exactly one letter, either
   bare (`B`) or in one wrapped form (`B.`, `B,`, `B:`, `B)`, `B).`, `(B)`, `(B).`, `:B`, `:B,`,
   `:B.`, `:B)`, `:B).`). A bare `A` in an answer of more than three tokens may be the article
   ("A cat sits on the mat"), so bare letters are not trusted then and only wrapped forms count.
2. `infer_option_text`: otherwise, exactly one option's text occurs (case-insensitively) in the answer.

Both return None when the answer is ambiguous or names nothing. The functions are pure; other
multiple-choice benchmarks import them.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from typing import Any

# MMBench's evaluator always considers five letters, whatever the question's option count.
DEFAULT_LETTERS = "ABCDE"
# (prefix, suffix) wrappings of a letter token, in the order the official evaluator tries them.
WRAPPED_FORMS: tuple[tuple[str, str], ...] = (
    ("", "."), ("", ","), ("", ":"), ("", ")"), ("", ")."),
    ("(", ")"), ("(", ")."),
    (":", ""), (":", ","), (":", "."), (":", ")"), (":", ")."),
)  # fmt: skip


def option_letters(count: int) -> str:
    """The first `count` capital letters: option labels A, B, C, ..."""
    return string.ascii_uppercase[:count]


def is_missing(value: Any) -> bool:
    """True for an absent option or hint: None, NaN, or the string "nan" left by a TSV-to-parquet export."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in {"", "nan"}


def _letters_present(tokens: Sequence[str], letters: str, prefix: str = "", suffix: str = "") -> list[str]:
    return [letter for letter in letters if f"{prefix}{letter}{suffix}" in tokens]


def infer_option_letter(answer: str, letters: str = DEFAULT_LETTERS) -> str | None:
    """The single option letter the answer's tokens name (rule 1 above), else None."""
    tokens = [token.strip() for token in answer.split()]
    bare = _letters_present(tokens, letters)
    if len(bare) == 1 and not ("A" in tokens and len(tokens) > 3):
        return bare[0]
    for prefix, suffix in WRAPPED_FORMS:
        wrapped = _letters_present(tokens, letters, prefix, suffix)
        if len(wrapped) == 1:
            return wrapped[0]
    return None


def infer_option_text(answer: str, options: Mapping[str, str]) -> str | None:
    """The letter of the single option whose text occurs in the answer (case-insensitive), else None."""
    lowered = answer.lower()
    found = [letter for letter, text in options.items() if str(text).lower() in lowered]
    return found[0] if len(found) == 1 else None


def infer_choice(answer: str, options: Mapping[str, str], letters: str = DEFAULT_LETTERS) -> str | None:
    """Letter rules first, then option text; None when neither resolves the answer."""
    return infer_option_letter(answer, letters) or infer_option_text(answer, options)


def present_options(row: Mapping[str, Any], letters: str = "ABCD") -> dict[str, str]:
    """{letter: text} for the row's option columns that hold a value, in letter order."""
    return {letter: str(row[letter]) for letter in letters if letter in row and not is_missing(row[letter])}


# --- circular evaluation ----------------------------------------------------------------------------
# MMBench stores each rotation of a question's options as its own row, at index + k * 1,000,000.
CIRCULAR_STRIDE = 1_000_000


def circular_group(index: int, stride: int = CIRCULAR_STRIDE) -> int:
    """The question a (possibly rotated) row belongs to: its index modulo the stride."""
    return int(index) % stride


def circular_accuracy(rows: Sequence[tuple[int, bool]]) -> dict[int, bool]:
    """{question: every rotation right} from (group, correct) pairs; a question counts only if all are."""
    verdicts: dict[int, bool] = {}
    for group, correct in rows:
        verdicts[group] = verdicts.get(group, True) and bool(correct)
    return verdicts
