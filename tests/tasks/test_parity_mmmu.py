"""mmmu scoring against lmms-eval 0.7.3's own MMMU functions, on the bundled rows.

lmms-eval's multiple-choice parser falls back to `random.choice` on the process-wide RNG; the
parity tests hand it the per-sample RNG ours uses (so everything but the RNG is compared), and a
separate test shows what the global RNG does to a re-score.
"""

from __future__ import annotations

import random

import lmms_eval.tasks._task_utils.mmmu_mcq_utils as lmms_mcq
import lmms_eval.tasks.mmmu.utils as lmms_mmmu
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.mmmu import MMMU

DOCS_OF = MMMU

MULTIPLE_CHOICE_ANSWERS = [
    "B", "(B)", "B.", "b", "The answer is B", "The answer is B.", "(A) or (B)", "A or B", "B,.", "B.,",
    "\nC", "C. Degas", "Degas", "I think the painting is by Degas, not Monet.",
    "Monet Manet Degas Renoir are all painters", "A cat sat on B mat", "The correct option is (D) Renoir.",
    "answer: c", "E", "Yes.", " yes", "no", "two", "12%", "1,000", "", "They are equal in both circuits here",
    "The lesion grew over the last year", "$5", "The price is $6 at equilibrium in the table",
]  # fmt: skip
OPEN_ANSWERS = [
    "12.5", "12.50", "The area is 12.5.", "12.5 square units", "x = 12.5", "so 12.5\nthus 1000", "Rome",
    "rome.", "It is Paris, not Rome", "\n\nRome", "Roma", "the city of rome", "1,000", "1000 bytes",
    "The answer is 1,000.", "1e3", "Yes.", " yes", "no", "two", "12%", "", "The answer is B",
    "Therefore, the final result is 12.5 units.", "It could be 999 or 1000",
]  # fmt: skip


def samples(docs: list[Doc]) -> list[tuple[Doc, str]]:
    pairs = []
    for doc in docs:
        answers = MULTIPLE_CHOICE_ANSWERS if doc.row["question_type"] == "multiple-choice" else OPEN_ANSWERS
        pairs.extend((doc, answer) for answer in answers)
    return pairs


def lmms_process(doc: Doc, prediction: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """lmms-eval's per-sample result, its fallback RNG replaced by the one seeded with the sample id."""
    monkeypatch.setattr(lmms_mcq, "random", random.Random(f"mmmu-fallback:{doc.row['id']}"))
    return lmms_mmmu.mmmu_process_results(doc.row, [prediction])["mmmu_acc"]


def test_per_sample_parse_and_score_match(docs: list[Doc], monkeypatch: pytest.MonkeyPatch) -> None:
    task = MMMU()
    for doc, prediction in samples(docs):
        ours = task.score(doc, prediction)
        theirs = lmms_process(doc, prediction, monkeypatch)
        judged, _ = lmms_mmmu.evaluate_mmmu([theirs])
        context = (doc.row["id"], prediction)
        if doc.row["question_type"] == "multiple-choice":
            assert ours.parsed == theirs["parsed_pred"][0], context
        else:
            assert set(ours.parsed) == set(theirs["parsed_pred"][0]), context
        assert ours.values["accuracy"] == float(judged[doc.row["id"]] == "Correct"), context


def test_headline_matches(docs: list[Doc], monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    task = MMMU()
    pairs = samples(docs)
    scored = [ScoredDoc(doc, p, task.score(doc, p)) for doc, p in pairs]
    theirs = lmms_mmmu.mmmu_aggregate_results([lmms_process(doc, p, monkeypatch) for doc, p in pairs])
    capsys.readouterr()  # lmms-eval prints its table
    ours = task.aggregate(scored)
    assert 0 < ours["accuracy"] < 1
    assert round(ours["accuracy"], 5) == theirs
    assert ours["extraction/fallback"] > 0  # the awkward answers do reach the fallback


def test_lmms_eval_fallback_follows_the_global_rng(docs: list[Doc]) -> None:
    """The difference we fix: lmms-eval's guess depends on the process-wide RNG (shared by the
    threads of its process_results pool), so the same answer re-scores differently; ours does not."""
    task = MMMU()
    doc = docs[0]
    guesses = set()
    for seed in range(20):
        random.seed(seed)
        guesses.add(lmms_mmmu.mmmu_process_results(doc.row, ["no idea"])["mmmu_acc"]["parsed_pred"][0])
    assert len(guesses) > 1
    ours = set()
    for seed in range(20):
        random.seed(seed)
        score = task.score(doc, "no idea")
        assert score.extraction == "fallback"
        ours.add(score.parsed)
    assert len(ours) == 1
