"""MMBench: the paper's prompt, MMBench's answer heuristics, the judge fallback, circular accuracy.

Fixture (eagle_eval/data/fixtures/mmbench.py), 13 rows in this order:
  Q0 rows 0-3   options Oil painting / Sketch / Digital art / Photo, answer "Photo": D, C, B, A
  Q1 rows 4-5   The left shop / The right shop, answer "The right shop": B, A (C and D null)
  Q2 rows 6-8   teddy bear / rabbit / cat, answer "cat": C, B, A (hint and D are the string "nan")
  Q3 rows 9-12  left / right / on top / below, answer "on top": C, B, A, D
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.data.fixtures import mmbench as mmbench_fixture
from eagle_eval.metrics.choice import infer_option_letter, infer_option_text
from eagle_eval.tasks.mmbench import MMBench, judge_prompt
from tests.tasks.conftest import StubJudge, mmbench_answer_in

DOCS_OF = MMBench

SUFFIX = "\n\nAnswer with the option's letter from the given choices directly."

# Rules only. Hand-derived verdict per row in the comment.
PREDICTIONS = [
    "D",  # bare letter D: right
    "C. Photo",  # "C." is the only wrapped letter: C, right
    "The answer is B",  # one bare letter, no "A": B, right
    "photo",  # option text "Photo" (A) only: right          -> Q0 all right
    "B",  # right
    "The right shop.",  # only option A's text ("the right shop") occurs: right  -> Q1 all right
    "C",  # right
    "A cat sits on the mat",  # bare "A" in > 3 tokens may be an article: skipped; text "cat" = B: right
    "I think it is a kitten",  # no letter, no option text: unresolved, wrong  -> Q2 wrong
    "C",  # right
    "B",  # right
    "A",  # right
    "A or D",  # two bare letters, no option text: unresolved, wrong  -> Q3 wrong
]


def test_fixture_layout(docs: list[Doc]) -> None:
    assert [d.row["index"] for d in docs[:4]] == [0, 1_000_000, 2_000_000, 3_000_000]
    assert [d.row["answer"] for d in docs] == list("DCBABACBACBAD")
    assert docs[4].row["C"] is None and docs[6].row["D"] == "nan" and docs[6].row["hint"] == "nan"


def test_prompt_images_and_generation(docs: list[Doc]) -> None:
    task = MMBench()
    assert task.prompt(docs[0]) == (
        "Which category does this image belong to? There are several options:\n"
        "A. Oil painting\nB. Sketch\nC. Digital art\nD. Photo" + SUFFIX
    )
    # hint first; null options C and D are left out
    assert task.prompt(docs[4]) == (
        "The chart shows sales of two shops. Which shop sold more? There are several options:\n"
        "A. The left shop\nB. The right shop" + SUFFIX
    )
    # the string "nan" counts as absent for the hint and for option D
    assert task.prompt(docs[6]) == (
        "What is the main object in the image? There are several options:\nA. teddy bear\nB. rabbit\nC. cat"
        + SUFFIX
    )
    request = task.build_request(docs[0])
    assert len(request.images) == 1 and request.images[0].mode == "RGB"
    assert request.generation.max_new_tokens == 1024 and request.generation.until == ()
    assert task.sources[0].repo == "lmms-lab/MMBench" and task.sources[0].config == "en"
    assert task.sources[0].split == "dev" and task.uses_judge


def test_letter_heuristics() -> None:
    assert infer_option_letter("B") == "B"
    assert infer_option_letter("(B)") == "B"
    assert infer_option_letter("B.") == "B"
    assert infer_option_letter("Answer: (C).") == "C"
    assert infer_option_letter("A B") is None  # two bare letters, no wrapped one
    assert infer_option_letter("A. yes, B. no") is None  # "A." and "B." both wrapped the same way
    assert infer_option_letter("A. yes, so A.") == "A"  # one letter, written twice
    assert infer_option_letter("A dog is next to a cat") is None  # quantifier "A"
    assert infer_option_letter("E") == "E"  # five letters are always considered
    assert infer_option_text("Two cats", {"A": "cat", "B": "dog"}) == "A"
    assert infer_option_text("cat and dog", {"A": "cat", "B": "dog"}) is None


def test_rule_scores_and_circular_accuracy(docs: list[Doc]) -> None:
    task = MMBench()
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, PREDICTIONS, strict=True)]
    assert [s.score.values["correct"] for s in scored] == [1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0]
    assert [s.score.values["question"] for s in scored] == [0, 0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 3]
    assert [s.score.extraction for s in scored].count("unresolved") == 2
    assert scored[7].score.parsed == "B" and scored[8].score.parsed is None
    metrics = task.aggregate(scored)
    # Q0 and Q1 have every rotation right; Q2 and Q3 have one unresolved rotation each: 2 / 4.
    assert metrics["overall"] == pytest.approx(0.5)
    assert metrics["row_accuracy"] == pytest.approx(11 / 13)
    assert (metrics["n_questions"], metrics["n_rows"]) == (4, 13)
    assert (metrics["rule"], metrics["judge"], metrics["unresolved"]) == (11, 0, 2)
    assert metrics["category_image_style"] == 1.0 and metrics["category_image_scene"] == 0.0
    assert metrics["l2_category_coarse_perception"] == pytest.approx(0.5)  # Q0 right, Q2 wrong
    assert task.to_paper_units(metrics) == pytest.approx(50.0)


def test_one_wrong_rotation_fails_the_question(docs: list[Doc]) -> None:
    task = MMBench()
    predictions = ["D", "C", "B", "B"] + ["B", "A"]  # Q0's last rotation names B (answer A)
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs[:6], predictions, strict=True)]
    assert task.aggregate(scored)["overall"] == pytest.approx(0.5)  # Q0 wrong, Q1 right


def test_judge_resolves_what_the_rules_cannot(docs: list[Doc]) -> None:
    task = MMBench()
    judge = StubJudge({"I think it is a kitten": "A", "A or D": "The answer is D"}, mmbench_answer_in)
    scored = [ScoredDoc(d, p, task.score(d, p, judge=judge)) for d, p in zip(docs, PREDICTIONS, strict=True)]
    # only the two unresolved rows reach the judge
    assert len(judge.prompts) == 2
    assert judge.prompts[0].endswith(
        "Example 3: \nQuestion: What is the main object in the image??\n"
        "Options: There are several options: \nA. cat\nB. teddy bear\nC. rabbit\n\n"
        "Answer: I think it is a kitten\nYour output: "
    )
    assert [s.score.extraction for s in scored].count("judge") == 2
    assert scored[8].score.parsed == "A" and scored[12].score.parsed == "D"
    assert task.aggregate(scored)["overall"] == pytest.approx(1.0)


def test_judge_failure_and_none_letter_are_judge_failed_or_wrong(docs: list[Doc]) -> None:
    task = MMBench()
    silent = StubJudge({}, mmbench_answer_in)
    score = task.score(docs[8], "I think it is a kitten", judge=silent)
    assert (score.extraction, score.values["correct"]) == ("judge_failed", 0.0)
    # the judge's "E" means no option matches: read, and wrong
    none_match = task.score(
        docs[8], "I think it is a kitten", judge=StubJudge({"I think it is a kitten": "E"}, mmbench_answer_in)
    )
    assert (none_match.extraction, none_match.parsed, none_match.values["correct"]) == ("judge", "E", 0.0)
    assert "A. The left shop\nB. The right shop\n\nAnswer: x" in judge_prompt(docs[4].row, "x")


def test_fixture_is_deterministic(tmp_path: Path) -> None:
    mmbench_fixture.write(tmp_path / "a")
    mmbench_fixture.write(tmp_path / "b")
    first = sorted((tmp_path / "a").rglob("*.parquet"))
    second = sorted((tmp_path / "b").rglob("*.parquet"))
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
