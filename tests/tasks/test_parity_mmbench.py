"""MMBench parity with lmms-eval 0.7.3's own evaluator on the same hub rows and predictions.

lmms-eval's judge call (`get_chat_response`) is replaced by the same stub our task gets, so no
network is touched and both sides see identical judge answers.
"""

from __future__ import annotations

import lmms_eval.tasks.mmbench.en_utils as en_utils
import pytest

from eagle_eval.api.task import Doc, JudgeUnavailable, ScoredDoc
from eagle_eval.metrics.choice import infer_choice, present_options
from eagle_eval.tasks.mmbench import MMBench, judge_prompt
from tests.tasks.conftest import StubJudge, mmbench_answer_in

DOCS_OF = MMBench

EVALUATOR = en_utils.mmbench_evaluator
PROMPT_KWARGS = {
    "pre_prompt": "",
    "post_prompt": "\nAnswer with the option's letter from the given choices directly.",
}

AWKWARD = [
    "B", "(B)", "B.", "The answer is B", " b", "Yes.", "\nC", "A", "A photo of a cat", "A. Oil painting",
    "Option D", "D) Photo", "I choose (C).", "Answer: C", "answer:C", "C, because it is shown", "Sketch",
    "sketch or photo", "The right shop", "the LEFT shop.", "left", "It is on top of the box", "E",
    "None of the above", "B and C", "(A).", ":B", ":B).", "A B C D", "Digital art. It has clean lines.",
    "two", "Photo\n\nThe image is a photograph.", "A cat is on top", "It is a painting of a rabbit",
]  # fmt: skip


def has_nan_string(row: dict) -> bool:
    return any(row[c] == "nan" for c in ("hint", "A", "B", "C", "D"))


def test_prompts_match(docs: list[Doc]) -> None:
    for doc in docs:
        assert MMBench().prompt(doc) == en_utils.mmbench_doc_to_text(doc.row, PROMPT_KWARGS)


def test_heuristics_match_on_awkward_answers(docs: list[Doc]) -> None:
    compared = 0
    for doc in docs:
        if has_nan_string(doc.row):
            continue  # lmms-eval treats the string "nan" as option text; see test_nan_string_options
        for answer in AWKWARD:
            theirs = EVALUATOR.can_infer(answer.strip(), EVALUATOR.build_choices(doc.row))
            ours = infer_choice(answer.strip(), present_options(doc.row))
            assert (ours or False) == theirs, (doc.row["index"], answer)
            compared += 1
    assert compared == 10 * len(AWKWARD)


def test_judge_prompt_matches(docs: list[Doc]) -> None:
    for doc in docs:
        if has_nan_string(doc.row):
            continue
        row = doc.row
        theirs = EVALUATOR.build_prompt(
            row["question"], EVALUATOR.build_option_str(EVALUATOR.extract_options(row)), "It was a camera"
        )
        assert judge_prompt(row, "It was a camera") == theirs


def lmms_eval_scores(docs: list[Doc], predictions: list[str], judge: StubJudge, monkeypatch) -> tuple:
    monkeypatch.setattr(EVALUATOR, "get_chat_response", lambda prompt, **kw: judge.ask(prompt))
    results = [
        en_utils.mmbench_process_results(doc.row, [p])["gpt_eval_score"]
        for doc, p in zip(docs, predictions, strict=True)
    ]
    return EVALUATOR.eval_result(results, eval_method="openai")


PREDICTION_SETS = [
    # every rotation resolved by rules: Q0, Q1 right; Q2 rotation 2 wrong by rule; Q3 right
    ["D", "C. Photo", "The answer is B", "photo", "B", "The right shop.", "C", "A cat sits on the mat",
     "(B)", "C", "B", "A", "D"],
    # rule-unresolved rows go to the judge (replies below)
    ["Photo", "It was taken by a camera", "B", "(A).", "the right shop", "left", "C", "B", "A",
     "on top", "Answer: B", "It is a painting", "D."],
    # Yes/No-like and multi-sentence answers
    ["Yes.", "C\n\nIt is a photograph.", "B", "A", "B", "A", "C.", "B", "A", "C", "B", "A", "D"],
]  # fmt: skip
REPLIES = {"It was taken by a camera": "C", "left": "B", "It is a painting": "E", "Yes.": "D"}


def shared_judge() -> StubJudge:
    """One table of judge replies, keyed by the answer in the prompt; used by both evaluators."""
    return StubJudge(REPLIES, mmbench_answer_in, strict=True)


@pytest.mark.parametrize("predictions", PREDICTION_SETS)
def test_circular_accuracy_matches(docs: list[Doc], predictions: list[str], monkeypatch) -> None:
    judge = shared_judge()
    task = MMBench()
    scored = [ScoredDoc(d, p, task.score(d, p, judge=judge)) for d, p in zip(docs, predictions, strict=True)]
    ours = task.aggregate(scored)
    overall, categories, l2_categories = lmms_eval_scores(
        docs, predictions, shared_judge(), monkeypatch
    )
    assert ours["overall"] == pytest.approx(overall)
    for name, value in categories.items():
        assert ours[f"category_{name}"] == pytest.approx(value), name
    for name, value in l2_categories.items():
        assert ours[f"l2_category_{name}"] == pytest.approx(value), name
    assert len(categories) == 4 and len(l2_categories) == 3


def test_nan_string_options(docs: list[Doc]) -> None:
    """lmms-eval keeps an option whose value is the string "nan" and matches it as text: an answer
    containing "nan" ("banana") is read as that option. We treat "nan" as an absent option."""
    row = docs[6].row  # options teddy bear / rabbit / cat, D = "nan"; answer C
    assert EVALUATOR.can_infer("a cat, not a banana", EVALUATOR.build_choices(row)) is False  # ambiguous
    assert EVALUATOR.can_infer("a banana", EVALUATOR.build_choices(row)) == "D"  # an option that is not there
    assert infer_choice("a cat, not a banana", present_options(row)) == "C"
    assert infer_choice("a banana", present_options(row)) is None


def test_judge_failure_is_not_a_random_guess(docs: list[Doc]) -> None:
    """lmms-eval replaces a failed judge by a random letter (seeded); we count the row judge_failed."""

    class Down:
        def ask(self, prompt: str) -> str:
            raise JudgeUnavailable("down")

    score = MMBench().score(docs[0], "It was taken by a camera", judge=Down())
    assert (score.extraction, score.parsed, score.values["correct"]) == ("judge_failed", None, 0.0)
