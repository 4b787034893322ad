"""MathVista parity with lmms-eval 0.7.3's own functions on the same hub rows and predictions.

lmms-eval's mathvista module builds an OpenAI client at import and raises without a key, so the test
sets a dummy key and an unreachable URL, and replaces the evaluator's `get_chat_response` with the
judge stub our task gets (it fails the test on any prompt we would not send). No network is used.
"""

from __future__ import annotations

import importlib

import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.metrics.mathvista import extraction_prompt
from eagle_eval.tasks.mathvista import MathVista
from tests.tasks.conftest import StubJudge

DOCS_OF = MathVista

FORMAT_KWARGS = {"shot": 0, "shot_type": "format-prompt", "use_caption": False, "use_ocr": False}

# Awkward predictions per row (row order in tests/tasks/test_task_mathvista.py's docstring).
AWKWARD = {
    0: ["C", "(C)", "cat", "C.", "The answer is C", "dog", "Cat", "\nC", "c", "E", "A cat."],
    1: ["38", "D", "38.0", "(D) 38", "The perimeter cannot be 38."],
    2: ["14", "14.0", " 14", "fourteen", "1,4", "+14", "The answer is 14", "14."],
    5: ["[2007, 2008]", "2007 and 2008", "[2007,2008]"],
    6: ["5 cm", "5", "5.0", "five"],
    7: ["(B)", "No", "no", "B", "Yes.", "Yes", "No, it is not."],
}
# What the stub judge answers for a response; unlisted responses come back unchanged, as a capable
# judge returns a bare letter or number as it is.
REPLIES = {
    "The answer is C": "C", "A cat.": "cat", "The perimeter cannot be 38.": "D", "fourteen": "14", "1,4": "14",
    "The answer is 14": "14", "14.": "14", "2007 and 2008": "[2007, 2008]", "5 cm": "5", "five": "5",
    "No, it is not.": "B", "Yes.": "A",
}  # fmt: skip


@pytest.fixture
def lmms_utils(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "dummy-key-for-import")
    monkeypatch.setenv("OPENAI_API_URL", "http://127.0.0.1:9/v1")  # closed port: nothing could leave
    monkeypatch.delenv("API_TYPE", raising=False)
    return importlib.import_module("lmms_eval.tasks.mathvista.utils")


def stub_for(docs: list[Doc]) -> StubJudge:
    """Knows the extraction prompt of every awkward answer, and fails the test on any other."""
    replies = {
        extraction_prompt(docs[i].row["query"], answer.strip()): REPLIES.get(answer.strip(), answer.strip())
        for i, answers in AWKWARD.items()
        for answer in answers
    }
    return StubJudge(replies, strict=True)


def test_prompts_match(docs: list[Doc], lmms_utils) -> None:
    for doc in docs:
        assert MathVista().prompt(doc) == lmms_utils.mathvista_doc_to_text(doc.row, FORMAT_KWARGS)


def test_scores_match_on_awkward_answers(
    docs: list[Doc], lmms_utils, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs_judge = stub_for(docs)
    evaluator = lmms_utils.mathvista_evaluator
    monkeypatch.setattr(evaluator, "get_chat_response", lambda prompt, **kw: theirs_judge.ask(prompt))
    ours_judge = stub_for(docs)
    task = MathVista()
    for i, answers in AWKWARD.items():
        for answer in answers:
            theirs = lmms_utils.mathvista_process_results(docs[i].row, [answer])["llm_as_judge_eval"]
            ours = task.score(docs[i], answer, judge=ours_judge)
            assert ours.values["correct"] == float(theirs["true_false"]), (i, answer)
            assert ours.parsed == theirs["prediction"], (i, answer)
    # Rules read some answers lmms-eval sends to the judge (bare letters), never the reverse.
    assert 0 < ours_judge.calls < theirs_judge.calls


def test_headline_matches(docs: list[Doc], lmms_utils, monkeypatch: pytest.MonkeyPatch) -> None:
    evaluator = lmms_utils.mathvista_evaluator
    judge = stub_for(docs)
    monkeypatch.setattr(evaluator, "get_chat_response", lambda prompt, **kw: judge.ask(prompt))
    picks = {0: "The answer is C", 1: "38", 2: "fourteen", 5: "[2007,2008]", 6: "5 cm", 7: "Yes."}
    rows = [docs[i] for i in picks]
    theirs = [
        lmms_utils.mathvista_process_results(d.row, [picks[d.doc_id]])["llm_as_judge_eval"] for d in rows
    ]
    headline = lmms_utils.mathvista_aggregate_results(theirs, None)
    scored = [
        ScoredDoc(d, picks[d.doc_id], MathVista().score(d, picks[d.doc_id], judge=stub_for(docs)))
        for d in rows
    ]
    ours = MathVista().aggregate(scored)
    # right: C -> cat, 38, 14, 5; wrong: "[2007,2008]" != "[2007, 2008]", "Yes" != "No" -> 4 / 6
    assert ours["accuracy"] == pytest.approx(4 / 6)
    assert headline == pytest.approx(round(ours["accuracy"] * 100, 2))


def test_float_precision_bug(docs: list[Doc], lmms_utils) -> None:
    """The hub's precision is a float (2.0); lmms-eval passes it to round(), which raises TypeError, the
    error is swallowed and the answer becomes None: every float question scores wrong. We cast to int."""
    row = docs[4].row  # answer "1.45", precision 2.0
    evaluator = lmms_utils.mathvista_evaluator
    assert evaluator.normalize_extracted_answer("1.449", None, "free_form", "float", row["precision"]) is None
    assert evaluator.normalize_extracted_answer("1.449", None, "free_form", "float", 2) == "1.45"
    theirs = lmms_utils.mathvista_process_results(row, ["1.45"])["llm_as_judge_eval"]
    assert theirs["true_false"] is False and theirs["prediction"] is None
    ours = MathVista().score(docs[4], "1.45")
    assert (ours.values["correct"], ours.parsed) == (1.0, "1.45")
    assert MathVista().score(docs[3], "0.6").values["correct"] == 1.0
    assert (
        lmms_utils.mathvista_process_results(docs[3].row, ["0.6"])["llm_as_judge_eval"]["true_false"] is False
    )


def test_empty_extraction_is_not_a_guess(docs: list[Doc], lmms_utils) -> None:
    """With no extraction lmms-eval still picks the choice nearest to "" for a multiple-choice row
    (here "cat", the right one); we count the row unresolved and wrong."""
    evaluator = lmms_utils.mathvista_evaluator
    row = docs[0].row
    assert evaluator.normalize_extracted_answer("", row["choices"], "multi_choice", "text", None) == "cat"
    score = MathVista().score(docs[0], "")
    assert (score.extraction, score.values["correct"]) == ("unresolved", 0.0)
