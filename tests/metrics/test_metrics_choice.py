"""Multiple-choice extraction by MMBench's official rules (the module docstring), and circular accuracy.

Rule 1 (letters): split the answer on whitespace; if exactly one of A-E is a whole token, that letter,
unless the answer has more than three tokens and one of them is a bare "A" (maybe the article); then
the wrapped forms in order (`B.`, `B,`, `B:`, `B)`, `B).`, `(B)`, `(B).`, `:B`, `:B,`, `:B.`, `:B)`,
`:B).`), the first form that names exactly one letter winning. Rule 2 (text): exactly one option's text
occurs in the answer, case-insensitively.
"""

from __future__ import annotations

import math

import pytest

from eagle_eval.metrics.choice import (
    circular_accuracy,
    circular_group,
    infer_choice,
    infer_option_letter,
    infer_option_text,
    is_missing,
    option_letters,
    present_options,
)

OPTIONS = {"A": "Oil painting", "B": "Sketch", "C": "Digital art", "D": "Photo"}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("B", "B"),
        (" B \n", "B"),
        ("B.", "B"),  # wrapped ("", ".")
        ("B)", "B"),
        ("(C)", "C"),
        ("(C).", "C"),
        (":D", "D"),
        ("Answer: (B)", "B"),  # tokens "Answer:" and "(B)"
        ("The answer is B", "B"),  # four tokens, one bare letter, no bare "A"
        ("The answer is B.", "B"),  # no bare letter: the "B." form
        ("E", "E"),  # the evaluator always considers five letters
        ("A cat", "A"),  # two tokens: a bare A is trusted
        ("A cat sits on the mat", None),  # six tokens with a bare "A": the article, not an option
        ("A is wrong, so B.", "B"),  # the bare A is skipped (five tokens), then "B." is the one wrapped letter
        ("B or C.", "B"),  # bare letters are tried first: B is the only bare one
        ("A B", None),  # two bare letters, and no wrapped form
        ("(A) or (B)", None),  # two letters in the "(X)" form, none in any other
        ("b", None),  # lowercase is not a letter token
        ("[B]", None),  # not one of the wrapped forms
        ("Bee", None),  # a letter inside a word is not a token
        ("F", None),  # out of range: only A-E
        ("F.", None),
        ("", None),
    ],
)
def test_infer_option_letter(answer: str, expected: str | None) -> None:
    assert infer_option_letter(answer) == expected


def test_letters_can_be_narrowed() -> None:
    assert infer_option_letter("D", letters="ABC") is None  # D is out of range for three options
    assert infer_option_letter("C", letters="ABC") == "C"


@pytest.mark.parametrize(
    ("answer", "options", "expected"),
    [
        ("It looks like a photo to me", OPTIONS, "D"),
        ("PHOTO", OPTIONS, "D"),  # case-insensitive
        ("a sketch of a photo", OPTIONS, None),  # two options occur
        ("a watercolour", OPTIONS, None),  # none occurs
        ("category", {"A": "cat", "B": "category"}, None),  # "cat" occurs inside "category" too
        ("12", {"A": 1, "B": 2}, None),  # texts are compared as strings: "1" and "2" both occur
        ("7", {"A": 7, "B": 8}, "A"),
        ("", OPTIONS, None),
    ],
)
def test_infer_option_text(answer: str, options: dict, expected: str | None) -> None:
    assert infer_option_text(answer, options) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("D", "D"),  # the letter rule
        ("B. Photo", "B"),  # the letter rule wins over the option text that says D
        ("The answer is Sketch", "B"),  # no letter: the text rule
        ("d", None),  # not a letter token, and "d" is no option's text
        ("none of them", None),
    ],
)
def test_infer_choice_tries_letters_then_text(answer: str, expected: str | None) -> None:
    assert infer_choice(answer, OPTIONS) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), (math.nan, True), ("nan", True), (" NaN ", True), ("", True),
     ("0", False), (0.0, False), ("None", False), ("Nancy", False)],
)  # fmt: skip
def test_is_missing(value: object, expected: bool) -> None:
    assert is_missing(value) is expected


def test_option_letters_and_present_options() -> None:
    assert option_letters(4) == "ABCD" and option_letters(0) == ""
    row = {"A": "red", "B": None, "C": "nan", "D": 3, "E": "ignored by default"}
    assert present_options(row) == {"A": "red", "D": "3"}  # B and C missing; E is past "ABCD"
    assert present_options(row, letters="ABCDE") == {"A": "red", "D": "3", "E": "ignored by default"}
    assert present_options({}) == {}


@pytest.mark.parametrize(
    ("index", "expected"),
    [(0, 0), (42, 42), (1_000_042, 42), (3_000_042, 42), (2_000_000, 0)],
)
def test_circular_group(index: int, expected: int) -> None:
    assert circular_group(index) == expected


def test_circular_group_takes_another_stride() -> None:
    assert circular_group(23, stride=10) == 3


def test_circular_accuracy_needs_every_rotation_right() -> None:
    rows = [(1, True), (1, False), (1, True), (2, True), (2, True), (3, 0), (4, 1)]
    # Question 1 has one wrong rotation; 2 has none; 3's only row is 0; 4's only row is 1.
    assert circular_accuracy(rows) == {1: False, 2: True, 3: False, 4: True}
    assert circular_accuracy([]) == {}
