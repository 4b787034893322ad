"""Yes/no answers: POPE's exact parser and the binary metrics computed from its verdicts.

POPE's reference scorer (lmms-eval, and Eagle's vendored copy of it) lowercases and strips the
prediction and accepts only the exact strings "yes" and "no"; "Yes." or "yes, there is" are neither.
Such answers are wrong for accuracy, are not a predicted "yes" for precision, and are left out of
recall's false negatives (the reference counts a false negative only for an explicit "no"); that
convention is kept here so numbers compare with the paper's. MME's parser is more lenient and
lives with MME.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sklearn.metrics import confusion_matrix

YesNo = Literal["yes", "no"]
_LABELS: tuple[YesNo, YesNo] = ("yes", "no")


def parse_exact_yes_no(text: str) -> YesNo | None:
    """The answer when it is exactly yes or no (any case, surrounding whitespace); else None."""
    answer = text.lower().strip()
    return answer if answer in _LABELS else None


def ground_truth_yes_no(text: str) -> YesNo:
    """A ground-truth label, which must be yes or no; anything else is a data error."""
    label = parse_exact_yes_no(text) if isinstance(text, str) else None
    if label is None:
        raise ValueError(f"ground-truth answer {text!r} is not 'yes' or 'no'; check the dataset revision")
    return label


def yes_no_metrics(truths: Sequence[YesNo], predictions: Sequence[YesNo | None]) -> dict[str, float | int]:
    """Accuracy, precision, recall, F1 ("yes" is the positive class) and the predicted yes-ratio.

    `predictions` holds parsed answers, None for an answer that is neither yes nor no. Precision,
    recall and F1 are 0 when their denominator is 0, as in the reference scorer. `yes_ratio` is
    the share of all samples the model answered "yes" (the reference reports the ground truth's
    share under that name, which says nothing about the model).
    """
    if len(truths) != len(predictions):
        raise ValueError(f"{len(truths)} ground-truth labels but {len(predictions)} predictions")
    if not truths:
        raise ValueError("yes_no_metrics needs at least one sample")
    # Only rows whose prediction is yes or no enter the confusion matrix; an unparsed answer is
    # neither a true/false positive nor a false negative (see the module docstring).
    (tp, fn), (fp, tn) = confusion_matrix(
        list(truths), [p if p is not None else "other" for p in predictions], labels=list(_LABELS)
    ).tolist()
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * (precision * recall) / (precision + recall) if precision + recall else 0.0
    n = len(truths)
    return {
        "accuracy": (tp + tn) / n,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "yes_ratio": sum(p == "yes" for p in predictions) / n,
        "ground_truth_yes_ratio": sum(t == "yes" for t in truths) / n,
        "n_unparsed": sum(p is None for p in predictions),
        "n": n,
    }
