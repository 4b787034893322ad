"""MME yes/no parsing and the pairwise acc + acc+ category scores."""

from __future__ import annotations

import pytest

from eagle_eval.metrics.mme import category_scores, normalize_target, parse_yes_no, split_totals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes", "yes"),
        ("No.", "no"),
        (" yes\n", "yes"),
        ("y", "yes"),  # lone letters (lmms-eval 0.7.3)
        ("N", "no"),
        ("Yes, there is a bus.", "yes"),  # "yes" within the first four characters
        ("Not at all", "no"),  # "not " holds "no"
        ("There is no dog.", "other"),  # the "no" is past the first four characters
        ("eyes", "yes"),  # a substring of the first four characters is enough
        ("...", "other"),  # periods deleted: empty
        ("Maybe", "other"),
    ],
)
def test_parse_yes_no(text: str, expected: str) -> None:
    assert parse_yes_no(text) == expected


def test_normalize_target_rejects_non_yes_no() -> None:
    assert normalize_target("Yes.") == "yes"
    with pytest.raises(ValueError, match="maybe"):
        normalize_target("maybe")


def test_category_scores_are_means_over_images_of_acc_plus_acc_plus() -> None:
    results = [
        ("existence", "a.jpg", True),
        ("existence", "a.jpg", True),  # a.jpg: acc 100 + acc+ 100 = 200
        ("existence", "b.jpg", True),
        ("existence", "b.jpg", False),  # b.jpg: acc 50 + acc+ 0 = 50
        ("code_reasoning", "c.png", False),
        ("code_reasoning", "c.png", False),  # c.png: 0
    ]
    scores = category_scores(results)
    assert scores == {"existence": 125.0, "code_reasoning": 0.0}  # (200 + 50) / 2
    assert split_totals(scores) == (125.0, 0.0)


def test_a_broken_pair_is_an_error_naming_the_image() -> None:
    with pytest.raises(ValueError, match="b.jpg"):
        category_scores([("count", "a.jpg", True), ("count", "a.jpg", True), ("count", "b.jpg", True)])


def test_unknown_category_is_an_error() -> None:
    with pytest.raises(ValueError, match="colour"):
        split_totals({"colour": 100.0})
