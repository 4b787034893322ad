"""OCRBench substring matching and category totals, as pure functions."""

from __future__ import annotations

import pytest

from eagle_eval.metrics.ocrbench import (
    CATEGORY_FULL_SIZE,
    category_of,
    category_totals,
    fold_fullwidth_ascii,
    ocrbench_hit,
)


@pytest.mark.parametrize(
    ("prediction", "answers", "dataset", "expected"),
    [
        ("The text is private.", ["PRIVATE"], "IIIT5K", True),  # lowercased substring
        ("HOTE L", ["Hotel"], "SVT", False),
        ("Ｃｏｆｆｅｅ", ["Coffee"], "WordArt", True),  # fullwidth folded to ASCII
        ("4 512", ["4512"], "ORAND", False),  # spaces kept outside HME100k
        ("It is a Nokia\nphone", ["nokia", "Nokia 3310"], "textVQA", True),  # any answer
        ("3/3/98", ["March 3, 1998", "3/3/1998"], "docVQA", False),
        ("12/10/98", "12/10/98", "FUNSD", True),  # a bare string answer works too
        ("x^{2}+B", ["x ^ { 2 } + B"], "HME100k", True),  # spaces removed on both sides
        ("x ^ {2}\n+ B", ["x^{2}+B"], "HME100k", True),  # newlines removed too
        ("x^{2}+b", ["x ^ { 2 } + B"], "HME100k", False),  # case-sensitive for HME100k
        ("X ^ { 2 } + b", ["x ^ { 2 } + B"], "IIIT5K", True),  # case-insensitive elsewhere
    ],
)
def test_ocrbench_hit(prediction: str, answers: list[str] | str, dataset: str, expected: bool) -> None:
    assert ocrbench_hit(prediction, answers, dataset) is expected


def test_fold_fullwidth_ascii_leaves_other_characters() -> None:
    assert fold_fullwidth_ascii("Ａ１！\u3000é中") == "A1! é中"


def test_category_totals_group_the_six_recognition_types() -> None:
    results = [
        ("Regular Text Recognition", True),
        ("Digit String Recognition", True),
        ("Non-Semantic Text Recognition", False),
        ("Doc-oriented VQA", True),
        ("Handwritten Mathematical Expression Recognition", False),
    ]
    hits, counts = category_totals(results)
    assert hits == {
        "Text Recognition": 2,
        "Scene Text-centric VQA": 0,
        "Doc-oriented VQA": 1,
        "Key Information Extraction": 0,
        "Handwritten Mathematical Expression Recognition": 0,
    }
    assert counts["Text Recognition"] == 3 and counts["Handwritten Mathematical Expression Recognition"] == 1
    # Pure: a second call on the same input gives the same totals (lmms-eval's would double).
    assert category_totals(results) == (hits, counts)


def test_full_benchmark_sizes_sum_to_1000() -> None:
    assert sum(CATEGORY_FULL_SIZE.values()) == 1000


def test_unknown_question_type_names_the_type() -> None:
    with pytest.raises(ValueError, match="Handwriting Recogniton"):
        category_of("Handwriting Recogniton")
