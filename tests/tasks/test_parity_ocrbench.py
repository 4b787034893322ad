"""OCRBench scores equal lmms-eval 0.7.3's; its module-level totals double on a second aggregation.

lmms-eval's pipeline strips the model output before `ocrbench_process_results` (which strips again);
`ocrbench_aggregate_accuracy` returns the final score divided by 1000 and adds into the module-level
dict `OCRBench_score`, which the tests reset around each call.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import lmms_eval.tasks.ocrbench.utils as lmms_ocrbench
import pytest

from eagle_eval.api.task import Doc, ScoredDoc
from eagle_eval.tasks.ocrbench import OCRBench

DOCS_OF = OCRBench

AWKWARD = [
    "PRIVATE",
    "The text is private.",
    "p r i v a t e",
    "Hotel.",
    "HOTE L",
    "Ｃｏｆｆｅｅ",
    "coffee\n\nThe word is coffee.",
    "meeting",
    "4512",
    "4 512",
    "45 12",
    "xqvtb",
    "It is a Nokia\nphone",
    "NOKIA 3310",
    "3/3/1998",
    "March 3,1998",
    "12/10/98",
    "x^{2}+B",
    "x^{2}+b",
    "x ^ { 2 }\n+ B",
    "X^{2}+B",
    "",
]


def lmms_score(row: dict, prediction: str) -> dict:
    return lmms_ocrbench.ocrbench_process_results(row, [prediction.strip()])["ocrbench_accuracy"]


@pytest.fixture
def fresh_lmms_totals(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SimpleNamespace:
    """lmms-eval's module-level totals, zeroed for this test and restored after it."""
    monkeypatch.setattr(lmms_ocrbench, "OCRBench_score", dict.fromkeys(lmms_ocrbench.OCRBench_score, 0))
    return SimpleNamespace(output_path=str(tmp_path))  # where its aggregation writes its report


def test_per_sample_scores_match_lmms_eval(docs: list[Doc]) -> None:
    task = OCRBench()
    for doc in docs:
        for prediction in AWKWARD:
            ours = task.score(doc, prediction).values["correct"]
            assert ours == lmms_score(doc.row, prediction)["score"], (doc.row["answer"], prediction)


def test_category_totals_match_lmms_eval(docs: list[Doc], fresh_lmms_totals: SimpleNamespace) -> None:
    task = OCRBench()
    predictions = [AWKWARD[(5 * i) % len(AWKWARD)] for i in range(len(docs))]
    predictions[0], predictions[9] = "private", "x^{2}+B"
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
    results = [lmms_score(d.row, p) for d, p in zip(docs, predictions, strict=True)]
    theirs = lmms_ocrbench.ocrbench_aggregate_accuracy(results, fresh_lmms_totals)
    ours = task.aggregate(scored)
    assert ours["correct"] == pytest.approx(theirs * 1000)  # theirs: the final score / 1000
    totals = lmms_ocrbench.OCRBench_score
    recognition = sum(v for k, v in totals.items() if "Recognition" in k and "Mathematical" not in k)
    # Our per-category values on this 10-row subset are scaled to the category's full size; undo that.
    assert ours["text_recognition"] * ours["text_recognition_n"] / 300 == pytest.approx(recognition)
    assert ours["scene_text_vqa"] * ours["scene_text_vqa_n"] / 200 == totals["Scene Text-centric VQA"]
    assert ours["doc_oriented_vqa"] * ours["doc_oriented_vqa_n"] / 200 == totals["Doc-oriented VQA"]
    assert (
        ours["key_information_extraction"] * ours["key_information_extraction_n"] / 200
        == totals["Key Information Extraction"]
    )
    assert (
        ours["handwritten_math_expression"] * ours["handwritten_math_expression_n"] / 100
        == totals["Handwritten Mathematical Expression Recognition"]
    )


def test_lmms_eval_doubles_on_a_second_aggregation_and_we_do_not(
    docs: list[Doc], fresh_lmms_totals: SimpleNamespace
) -> None:
    task = OCRBench()
    predictions = [str(d.row["answer"][0]) for d in docs]  # every answer right
    scored = [ScoredDoc(d, p, task.score(d, p)) for d, p in zip(docs, predictions, strict=True)]
    results = [lmms_score(d.row, p) for d, p in zip(docs, predictions, strict=True)]
    first = lmms_ocrbench.ocrbench_aggregate_accuracy(results, fresh_lmms_totals)
    second = lmms_ocrbench.ocrbench_aggregate_accuracy(results, fresh_lmms_totals)
    assert first * 1000 == 10 and second == 2 * first  # the bug: 10 right answers become 20
    assert task.aggregate(scored) == task.aggregate(scored)
    assert task.aggregate(scored)["correct"] == 10


def test_eagle_vendored_copy_lowercased_hme_predictions(docs: list[Doc]) -> None:
    """Eagle's vendored scorer lowercased every prediction first, so HME100k answers with capitals never
    matched; lmms-eval 0.7.3 and this task keep the case (docs/protocol/ocrbench.md)."""
    hme = docs[9]
    assert hme.row["dataset"] == "HME100k" and hme.row["answer"] == ["x ^ { 2 } + B"]
    assert OCRBench().score(hme, "x^{2}+B").values["correct"] == 1
    assert OCRBench().score(hme, "x^{2}+B".lower()).values["correct"] == 0  # what the vendored copy compared
