"""MathVista: the format-prompt query, rule extraction, judge extraction, normalisation, accuracy.

Fixture rows (eagle_eval/data/fixtures/mathvista.py), in order:
  0 MC teddy bear / rabbit / cat / dog -> cat      4 float, precision 2.0, unit $ -> 1.45
  1 MC 29 / 34 / 37 / 38 -> 38                     5 list -> [2007, 2008]
  2 integer -> 14                                  6 integer, unit cm -> 5
  3 float, precision 1.0 -> 0.6                    7 MC Yes / No -> No
"""

from __future__ import annotations

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.metrics.mathvista import extraction_prompt, nearest_choice, normalize_answer, rule_extract
from eagle_eval.tasks.mathvista import MathVista
from tests.tasks.conftest import StubJudge, mathvista_response_in

DOCS_OF = MathVista

PREDICTIONS = [
    "C",  # bare letter -> "cat": right (rule)
    "38",  # exactly a choice: right (rule)
    "14",  # int("14"): right (rule)
    "0.6",  # float -> round(0.6, 1) = 0.6: right (rule)
    "1.449",  # float -> round(1.449, 2) = 1.45: right (rule; precision 2.0 cast to int)
    "[2007, 2008]",  # a list needs the judge: unresolved, wrong
    "5 cm",  # not a bare number: unresolved, wrong
    "(B)",  # bare letter in parentheses -> "No": right (rule)
]


def test_fixture_schema(docs: list[Doc]) -> None:
    assert len(docs) == 8 and docs[0].split == "testmini"
    assert docs[4].row["precision"] == 2.0 and isinstance(docs[4].row["precision"], float)
    assert docs[2].row["choices"] is None and docs[0].row["metadata"]["skills"] == ["scientific reasoning"]


def test_prompts_images_and_generation(docs: list[Doc]) -> None:
    task = MathVista()
    assert task.prompt(docs[0]) == (
        "What is the main object in the image?\nA. teddy bear\nB. rabbit\nC. cat\nD. dog\n"
        "Answer with the option's letter from the given choices directly."
    )
    assert (
        task.prompt(docs[2]) == "Which number is missing?\nAnswer the question using a single integer number."
    )
    assert task.prompt(docs[3]) == (
        "What is the fraction of females facing the camera?\n"
        "Answer the question using a single floating-point number with one decimal place."
    )
    assert task.prompt(docs[4]) == (
        "How much money does Luca need to buy a sour apple candy and a butterscotch candy? (Unit: $)\n"
        "Answer the question using a single floating-point number with two decimal places."
    )
    assert task.prompt(docs[5]) == (
        "Between which two years does the line graph saw its maximum peak?\nAnswer the question using a Python list."
    )
    request = task.build_request(docs[0])
    assert len(request.images) == 1 and request.images[0].mode == "RGB"
    assert request.generation.max_new_tokens == 1024
    assert task.sources[0].repo == "AI4Math/MathVista" and task.sources[0].split == "testmini"


def test_rule_scores_and_accuracy(docs: list[Doc]) -> None:
    task = MathVista()
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, PREDICTIONS, strict=True)]
    assert [s.score.values["correct"] for s in scored] == [1, 1, 1, 1, 1, 0, 0, 1]
    assert [s.score.extraction for s in scored] == ["rule"] * 5 + ["unresolved"] * 2 + ["rule"]
    assert [s.score.parsed for s in scored] == ["cat", "38", "14", "0.6", "1.45", None, None, "No"]
    metrics = task.aggregate(scored)
    assert metrics["accuracy"] == pytest.approx(6 / 8)
    assert (metrics["rule"], metrics["judge"], metrics["unresolved"], metrics["correct"]) == (6, 0, 2, 6)
    assert metrics["answer_type_float"] == 1.0 and metrics["answer_type_list"] == 0.0
    assert metrics["question_type_multi_choice"] == 1.0  # rows 0, 1, 7
    assert task.to_paper_units(metrics) == pytest.approx(75.0)


def test_rule_extraction_edges(docs: list[Doc]) -> None:
    mc, integer, decimal = docs[0].row, docs[2].row, docs[4].row
    assert rule_extract("E", mc) is None  # only four options
    assert rule_extract("b", mc) is None  # lower-case letters are left to the judge
    assert rule_extract("B.", mc) == "B"
    assert rule_extract("The answer is C", mc) is None
    assert rule_extract("12.0", integer) is None  # int() refuses it; the judge decides
    assert rule_extract("-3", integer) == "-3"
    assert rule_extract("1.5e0", decimal) == "1.5"
    assert rule_extract("", integer) is None


def test_normalisation(docs: list[Doc]) -> None:
    mc, integer, decimal = docs[0].row, docs[2].row, docs[4].row
    assert normalize_answer("The answer is (D) dog", mc) == "dog"  # parenthesised letter
    assert normalize_answer("cats", mc) == "cat"  # nearest choice: distance 1 from "cat"
    assert nearest_choice("ab", ["abc", "abd"]) == "abc"  # first of equally near choices
    assert normalize_answer("13.7", integer) == "13"  # int(float(x)) truncates, as MathVista's scorer does
    assert normalize_answer("about 14", integer) is None
    assert normalize_answer("1.4", decimal) == "1.4"  # str(round(1.4, 2)) keeps one digit: wrong vs "1.45"
    assert normalize_answer("[2007, 2008]", docs[5].row) == "[2007, 2008]"


def test_judge_extracts_what_the_rules_cannot(docs: list[Doc]) -> None:
    task = MathVista()
    judge = StubJudge({"[2007, 2008]": "[2007, 2008]", "5 cm": "5"}, mathvista_response_in)
    scored = [ScoredDoc(d, p, task.score(d, p, judge=judge)) for d, p in zip(docs, PREDICTIONS, strict=True)]
    assert len(judge.prompts) == 2  # rule-read rows never reach the judge
    assert judge.prompts[1] == extraction_prompt(docs[6].row["query"], "5 cm")
    assert judge.prompts[1].startswith("Please read the following example.")
    assert "\n\nHint: Please answer the question requiring an integer answer" in judge.prompts[1]
    assert [s.score.extraction for s in scored].count("judge") == 2
    assert task.aggregate(scored)["accuracy"] == pytest.approx(1.0)


def test_judge_failure_is_judge_failed_not_guessed(docs: list[Doc]) -> None:
    # lmms-eval turns a failed extraction ("") into the nearest choice to "", a silent guess.
    score = MathVista().score(docs[0], "It is probably the furry one", judge=StubJudge({}, mathvista_response_in))
    assert (score.extraction, score.parsed, score.values["correct"]) == ("judge_failed", None, 0.0)
    assert MathVista().score(docs[0], "", judge=StubJudge({}, mathvista_response_in)).extraction == "unresolved"
