"""MathVista's query, rule extraction, normalisation and comparison, by the rules of its official scorer
as the module docstring states them (lmms-eval's mathvista_evals: `create_one_query` with
"format-prompt", `extract_answer`, `normalize_extracted_answer`, `safe_equal`). The task-level tests
are in tests/tasks/test_task_mathvista.py.
"""

from __future__ import annotations

import math

import pytest

from eagle_eval.metrics.mathvista import (
    EXTRACTION_EXAMPLES,
    FORMAT_HINTS,
    answers_match,
    extraction_prompt,
    format_hint,
    format_prompt,
    nearest_choice,
    normalize_answer,
    rule_extract,
)

FRACTIONS = ["3/11", "8/11", "6/11", "3/5"]
CHOICE = {"question_type": "multi_choice", "answer_type": "text", "choices": FRACTIONS}
INTEGER = {"question_type": "free_form", "answer_type": "integer", "choices": None}
FLOAT1 = {"question_type": "free_form", "answer_type": "float", "precision": 1.0, "choices": None}
FLOAT2 = {"question_type": "free_form", "answer_type": "float", "precision": 2.0, "choices": None}
LIST = {"question_type": "free_form", "answer_type": "list", "choices": None}


@pytest.mark.parametrize(
    ("question_type", "answer_type", "precision", "expected"),
    [
        ("multi_choice", "text", None, "Answer with the option's letter from the given choices directly."),
        ("free_form", "integer", None, "Answer the question using a single integer number."),
        ("free_form", "float", 1.0, "Answer the question using a single floating-point number with one decimal place."),
        ("free_form", "float", 2, "Answer the question using a single floating-point number with two decimal places."),
        ("free_form", "list", None, "Answer the question using a Python list."),
    ],
)
def test_format_hint(question_type: str, answer_type: str, precision, expected: str) -> None:
    assert format_hint(question_type, answer_type, precision) == expected


@pytest.mark.parametrize(
    ("answer_type", "precision", "message"),
    [
        ("float", 3.0, "precision 3.0 \\(1 or 2 expected\\)"),
        ("float", None, "has no precision"),
        ("float", math.nan, "has no precision"),
        ("fraction", None, "unknown MathVista answer_type 'fraction'"),
    ],
)
def test_format_hint_refuses_what_has_no_hint(answer_type: str, precision, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        format_hint("free_form", answer_type, precision)


def test_format_prompt_joins_question_unit_choices_and_hint() -> None:
    row = {"question": "What fraction of the shape is blue?", "unit": "", "choices": FRACTIONS, **CHOICE}
    assert format_prompt(row) == (
        "What fraction of the shape is blue?\n"
        "A. 3/11\nB. 8/11\nC. 6/11\nD. 3/5\n"
        "Answer with the option's letter from the given choices directly."
    )
    money = {"question": "How much money does Luca need?", "unit": "$", **FLOAT2}
    assert format_prompt(money) == (
        "How much money does Luca need? (Unit: $)\n" + FORMAT_HINTS["float2"]
    )  # no choices: no empty line between question and hint


@pytest.mark.parametrize(
    ("response", "row", "expected"),
    [
        ("8/11", CHOICE, "8/11"),  # exactly one of the choices
        ("B", CHOICE, "B"),  # a bare option letter
        ("(B)", CHOICE, "B"),
        ("B.", CHOICE, "B"),
        ("(B).", CHOICE, "B"),
        ("E", CHOICE, None),  # out of range: four choices are A-D
        ("b", CHOICE, None),  # a lowercase letter is not read by rule
        (" 8/11", CHOICE, None),  # not exactly a choice
        ("The answer is B.", CHOICE, None),  # a sentence needs the judge
        ("14", INTEGER, "14"),
        (" 14\n", INTEGER, "14"),  # int() takes surrounding whitespace
        ("+014", INTEGER, "14"),
        ("14.0", INTEGER, None),  # not an integer literal: the judge decides
        ("14 cm", INTEGER, None),  # numbers with units need the judge
        ("fourteen", INTEGER, None),
        ("1.45", FLOAT2, "1.45"),
        ("1.450", FLOAT2, "1.45"),  # str(float("1.450"))
        ("2", FLOAT1, "2.0"),
        ("1e-1", FLOAT1, "0.1"),
        ("$1.45", FLOAT2, None),
        ("1,000.5", FLOAT1, None),
        ("[2007, 2008]", LIST, None),  # lists always go to the judge
        ("", INTEGER, None),
    ],
)
def test_rule_extract(response: str, row: dict, expected: str | None) -> None:
    assert rule_extract(response, row) == expected


def test_extraction_prompt_is_the_few_shot_examples_then_query_then_response() -> None:
    # The official create_test_prompt: f"{demo}\n\n{query}\n\n{response}\n\nExtracted answer: ".
    prompt = extraction_prompt("Question: How many?", "There are 3 birds.")
    assert prompt == EXTRACTION_EXAMPLES + "\n\nQuestion: How many?\n\nThere are 3 birds.\n\nExtracted answer: "
    assert EXTRACTION_EXAMPLES.startswith("Please read the following example.")
    assert EXTRACTION_EXAMPLES.endswith("Extracted answer: B")


@pytest.mark.parametrize(
    ("text", "choices", "expected"),
    [
        ("8/11", FRACTIONS, "8/11"),  # distance 0
        ("6/12", FRACTIONS, "6/11"),  # distances 2, 2, 1, 3
        ("ca", ["cat", "car"], "cat"),  # a tie (1 and 1): the first choice
        ("C", ["yes", "no"], "no"),  # distances 3 and 2
    ],
)
def test_nearest_choice(text: str, choices: list[str], expected: str) -> None:
    assert nearest_choice(text, choices) == expected


@pytest.mark.parametrize(
    ("extraction", "row", "expected"),
    [
        ("B", CHOICE, "8/11"),  # a letter becomes its choice
        (" C ", CHOICE, "6/11"),  # stripped first
        ("(b) 8/11", CHOICE, "8/11"),  # "(b)" gives the letter, upper-cased
        ("The answer is (D)", CHOICE, "3/5"),
        ("8/11", CHOICE, "8/11"),  # choice text: nearest is itself
        ("6/12", CHOICE, "6/11"),  # any other text: the nearest choice
        ("b", CHOICE, "3/5"),  # a bare lowercase letter is text: distances 4, 4, 4, 3
        ("E", CHOICE, "3/5"),  # a letter past the choices is text too: distances 4, 4, 4, 3
        ("14", INTEGER, "14"),
        ("14.7", INTEGER, "14"),  # int(float(...)) truncates
        ("-3.9", INTEGER, "-3"),
        ("1e2", INTEGER, "100"),
        ("14 cm", INTEGER, None),  # cannot take the integer form
        ("inf", INTEGER, None),  # int(inf) overflows
        ("1.45", FLOAT1, "1.4"),  # 1.45 is 1.4499999999999999556 in binary: rounds down
        ("2.25", FLOAT1, "2.2"),  # exactly 2.25: round half to even
        ("3", FLOAT2, "3.0"),
        ("0.125", FLOAT2, "0.12"),  # exactly 0.125: half to even
        ("3.14159", FLOAT2, "3.14"),
        ("pi", FLOAT2, None),
        ("[1, 2]", LIST, "[1, 2]"),  # lists pass through as text
    ],
)
def test_normalize_answer(extraction: str, row: dict, expected: str | None) -> None:
    assert normalize_answer(extraction, row) == expected


@pytest.mark.parametrize(
    ("normalized", "answer", "expected"),
    [
        ("8/11", "8/11", True),
        (" 14 ", "14", True),  # both sides stripped
        ("14", 14, True),  # compared as strings: str(14) == "14"
        ("1.4", 1.4, True),
        ("1.50", "1.5", False),  # strings, not numbers
        ("3.0", 3, False),
        ("[1, 2]", "[1,2]", False),
        (None, "14", False),  # no normalised answer is never right
        (None, "None", False),
    ],
)
def test_answers_match(normalized: str | None, answer, expected: bool) -> None:
    assert answers_match(normalized, answer) is expected
