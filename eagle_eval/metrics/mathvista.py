"""MathVista: the format-prompt query, answer extraction and normalisation, as MathVista's scorer does them.

Extraction reads an answer by rule when the response is exactly one of the choices, a bare option
letter (`B`, `(B)`, `B.`), or, for numeric questions, a bare number Python parses; anything else
needs the judge, prompted with MathVista's few-shot extraction prompt (`extraction_prompt`).
Normalisation maps a letter to its choice, any other multiple-choice text to the nearest choice by
Levenshtein distance, and numbers to the question's precision, which the hub stores as a float:
it is cast to int before rounding (lmms-eval passes the float to `round`, which raises, and every
float question then scores wrong).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

FORMAT_HINTS = {
    "multi_choice": "Answer with the option's letter from the given choices directly.",
    "integer": "Answer the question using a single integer number.",
    "float1": "Answer the question using a single floating-point number with one decimal place.",
    "float2": "Answer the question using a single floating-point number with two decimal places.",
    "list": "Answer the question using a Python list.",
}

# MathVista's few-shot answer-extraction prompt (the official scorer's, as the paper's harness sends it).
EXTRACTION_EXAMPLES = """Please read the following example. Then extract the answer from the model response and type it at the end of the prompt.

Hint: Please answer the question requiring an integer answer and provide the final value, e.g., 1, 2, 3, at the end.
Question: Which number is missing?

Model response: The number missing in the sequence is 14.

Extracted answer: 14

Hint: Please answer the question requiring a floating-point number with one decimal place and provide the final value, e.g., 1.2, 1.3, 1.4, at the end.
Question: What is the fraction of females facing the camera?

Model response: The fraction of females facing the camera is 0.6, which means that six out of ten females in the group are facing the camera.

Extracted answer: 0.6

Hint: Please answer the question requiring a floating-point number with two decimal places and provide the final value, e.g., 1.23, 1.34, 1.45, at the end.
Question: How much money does Luca need to buy a sour apple candy and a butterscotch candy? (Unit: $)

Model response: Luca needs $1.45 to buy a sour apple candy and a butterscotch candy.

Extracted answer: 1.45

Hint: Please answer the question requiring a Python list as an answer and provide the final list, e.g., [1, 2, 3], [1.2, 1.3, 1.4], at the end.
Question: Between which two years does the line  graph saw its maximum peak?

Model response: The line graph saw its maximum peak between 2007 and 2008.

Extracted answer: [2007, 2008]

Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.
Question: What fraction of the shape is blue?\nChoices:\n(A) 3/11\n(B) 8/11\n(C) 6/11\n(D) 3/5

Model response: The correct answer is (B) 8/11.

Extracted answer: B"""  # noqa: E501

_BARE_LETTER = re.compile(r"^\(?([A-Z])\)?\.?$")
_PARENTHESISED_LETTER = re.compile(r"\(([a-zA-Z])\)")


def _letters(choices: Sequence[str]) -> list[str]:
    return [chr(ord("A") + i) for i in range(len(choices))]


def _precision_digits(precision: Any) -> int:
    if precision is None or (isinstance(precision, float) and math.isnan(precision)):
        raise ValueError("a float MathVista question has no precision; the row's `precision` column is empty")
    return int(precision)


def format_hint(question_type: str, answer_type: str, precision: Any) -> str:
    if question_type == "multi_choice":
        return FORMAT_HINTS["multi_choice"]
    if answer_type == "float":
        digits = _precision_digits(precision)
        if f"float{digits}" not in FORMAT_HINTS:
            raise ValueError(
                f"no MathVista format hint for a float answer with precision {precision!r} (1 or 2 expected)"
            )
        return FORMAT_HINTS[f"float{digits}"]
    if answer_type not in FORMAT_HINTS:
        raise ValueError(
            f"unknown MathVista answer_type {answer_type!r} (integer, float, list or text expected)"
        )
    return FORMAT_HINTS[answer_type]


def format_prompt(row: dict[str, Any]) -> str:
    """The "format-prompt" query: question (with unit), lettered choices, the answer-type hint."""
    question = row["question"]
    if row.get("unit"):
        question += f" (Unit: {row['unit']})"
    parts = [question]
    if row.get("choices"):
        parts.append(
            "\n".join(
                f"{letter}. {choice}"
                for letter, choice in zip(_letters(row["choices"]), row["choices"], strict=True)
            )
        )
    parts.append(format_hint(row["question_type"], row["answer_type"], row.get("precision")))
    return "\n".join(part for part in parts if part).strip()


def rule_extract(response: str, row: dict[str, Any]) -> str | None:
    """The answer when rules can read it (exact choice, bare letter, bare number), else None."""
    if not response:
        return None
    choices = row.get("choices") or []
    if row["question_type"] == "multi_choice":
        if response in choices:
            return response
        match = _BARE_LETTER.match(response)
        if match and match.group(1) in _letters(choices):
            return match.group(1)
    if row["answer_type"] == "integer":
        try:
            return str(int(response))
        except ValueError:
            pass
    if row["answer_type"] == "float":
        try:
            return str(float(response))
        except ValueError:
            pass
    return None


def extraction_prompt(query: str, response: str) -> str:
    """The judge prompt: the few-shot examples, then the hub's `query` and the model's response."""
    return f"{EXTRACTION_EXAMPLES}\n\n{query}\n\n{response}\n\nExtracted answer: "


def nearest_choice(text: str, choices: Sequence[str]) -> str:
    """The choice with the smallest Levenshtein distance to `text`; the first one on ties."""
    from Levenshtein import distance  # imported here so listing tasks never needs it

    distances = [distance(text, choice) for choice in choices]
    return choices[distances.index(min(distances))]


def normalize_answer(extraction: str, row: dict[str, Any]) -> str | None:
    """The extracted answer in the form of the ground truth, or None when it cannot take that form."""
    if row["question_type"] == "multi_choice":
        choices = list(row["choices"])
        text = str(extraction).strip()
        letter = _PARENTHESISED_LETTER.findall(text)
        if letter:
            text = letter[0].upper()
        letters = _letters(choices)
        return choices[letters.index(text)] if text in letters else nearest_choice(text, choices)
    try:
        if row["answer_type"] == "integer":
            return str(int(float(extraction)))
        if row["answer_type"] == "float":
            return str(round(float(extraction), _precision_digits(row.get("precision"))))
    except (ValueError, OverflowError):
        return None
    return str(extraction)


def answers_match(normalized: str | None, answer: Any) -> bool:
    """String equality after stripping, as MathVista's scorer compares."""
    return normalized is not None and str(normalized).strip() == str(answer).strip()
