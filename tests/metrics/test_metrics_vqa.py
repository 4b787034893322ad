"""The EvalAI answer normaliser and VQA accuracy, on hand-worked cases."""

from __future__ import annotations

import pytest

from eagle_eval.metrics import vqa
from eagle_eval.metrics.vqa import normalize_answer, normalize_vqav2_answer, vqa_accuracy


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Yes.", "yes"),  # case and the trailing period
        ("two", "2"),  # number words become digits
        ("None", "0"),
        ("The cat", "cat"),  # articles go
        ("a dog and an owl", "dog and owl"),
        ("dont", "don't"),  # contractions regain their apostrophe
        ("John's", "john 's"),  # "'s" is split off before anything else
        ("black/white", "black white"),  # a mark touching no space becomes a space
        ("black / white", "black white"),  # a mark touching a space is deleted
        ("3.5", "3.5"),  # a period before a digit stays
        ("1,000", "1000"),  # commas are dropped up front
        ("12%", "12%"),  # '%' and ':' are not punctuation to the official rules
        ("10:30", "10:30"),
        ("\nNikon\t", "nikon"),
        ("Hello?!", "hello"),
        ("  many   spaces ", "many spaces"),
        ("The answer is B", "answer is b"),
        ("(B)", "b"),
        ("", ""),
    ],
)
def test_normalize_answer(raw: str, expected: str) -> None:
    assert normalize_answer(raw) == expected


def test_only_32_periods_are_removed() -> None:
    # The official code passes re.UNICODE (32) as sub's count; 40 periods leave 8.
    assert normalize_answer("." * 40) == "." * 8


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Yes.", "yes"),
        ("Two dogs", "2 dogs"),
        ("1,000", "1000"),  # a digit-comma-digit deletes every punctuation mark
        ("1,000 (about)", "1000 about"),
        ("John's", "john's"),  # no "'s" split in the VQAv2 path
        ("What?", "what"),
        ("An umbrella.", "umbrella"),
        ("black/white", "black white"),
        ("line\nbreak", "line break"),
    ],
)
def test_normalize_vqav2_answer(raw: str, expected: str) -> None:
    assert normalize_vqav2_answer(raw) == expected


@pytest.mark.parametrize(
    ("matching", "expected"),
    [
        # Ten annotators, k of them give the prediction. Each annotator's turn scores
        # min(1, matches among the other nine / 3); the accuracy is the mean of the ten turns.
        (0, 0.0),
        (1, 0.3),  # 9 turns see 1 match (1/3), 1 turn sees 0: (9/3)/10
        (2, 0.6),  # 8 turns see 2 (2/3), 2 turns see 1 (1/3): (16/3 + 2/3)/10
        (3, 0.9),  # 7 turns see 3 (1), 3 turns see 2 (2/3): (7 + 2)/10
        (4, 1.0),  # 6 turns see 4 (1), 4 turns see 3 (1)
        (10, 1.0),
    ],
)
def test_vqa_accuracy_by_number_of_matching_annotators(matching: int, expected: float) -> None:
    answers = ["cat"] * matching + ["dog"] * (10 - matching)
    assert vqa_accuracy("cat", answers) == pytest.approx(expected, abs=1e-12)


def test_vqa_accuracy_compares_exact_strings() -> None:
    # Normalisation is the caller's job; "Cat" is not "cat" here.
    assert vqa_accuracy("Cat", ["cat"] * 10) == 0.0


def test_vqa_accuracy_needs_answers() -> None:
    with pytest.raises(ValueError, match="at least one ground-truth answer"):
        vqa_accuracy("cat", [])


def test_normaliser_keeps_no_state() -> None:
    # lmms-eval's processor adds every word it sees to its class-level number map; ours must not.
    before = dict(vqa.NUMBER_WORDS)
    normalize_answer("zebra giraffe seven")
    normalize_vqav2_answer("okapi")
    assert before == vqa.NUMBER_WORDS
    assert normalize_answer("zebra giraffe seven") == "zebra giraffe 7"
