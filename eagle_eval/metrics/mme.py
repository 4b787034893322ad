"""MME scoring: yes/no parsing and the pairwise acc + acc+ score per category.

Each MME image carries two questions (one "yes", one "no"). Per category, an image scores
acc (fraction of its two questions right) ×100 plus acc+ (100 when both are right, else 0); the
category score is the mean over its images (max 200). Perception sums 10 categories (max 2000),
cognition 4 (max 800). Parsing and aggregation follow lmms-eval 0.7.3 (`mme/utils.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Literal

YesNo = Literal["yes", "no", "other"]

PERCEPTION_CATEGORIES: tuple[str, ...] = (
    "existence",
    "count",
    "position",
    "color",
    "posters",
    "celebrity",
    "scene",
    "landmark",
    "artwork",
    "OCR",
)
COGNITION_CATEGORIES: tuple[str, ...] = (
    "commonsense_reasoning",
    "numerical_calculation",
    "text_translation",
    "code_reasoning",
)


def parse_yes_no(text: str) -> YesNo:
    """The model's yes/no verdict: "yes", "no", or "other" when it gave neither.

    Lowercase, strip, delete every "."; then an exact "yes"/"no"; a lone "y"/"n"; else the first
    "yes" (then "no") found within the first four characters ("no, it is not" → no, "not" → no).
    """
    answer = text.lower().strip().replace(".", "")
    if answer in ("yes", "no"):
        return answer  # type: ignore[return-value]
    if len(answer) == 1:
        return {"y": "yes", "n": "no"}.get(answer, "other")  # type: ignore[return-value]
    head = answer[:4]
    if "yes" in head:
        return "yes"
    if "no" in head:
        return "no"
    return "other"


def normalize_target(answer: str) -> Literal["yes", "no"]:
    target = answer.lower().strip().replace(".", "") if isinstance(answer, str) else None
    if target not in ("yes", "no"):
        raise ValueError(f"MME ground truth must be yes or no, got {answer!r}; the data is not lmms-lab/MME.")
    return target  # type: ignore[return-value]


def category_scores(results: Iterable[tuple[str, str, bool]]) -> dict[str, float]:
    """Per-category mean over images of acc + acc+ (each ×100), from (category, image_id, correct).

    Every image must have exactly its two questions: a broken pair would change acc+ silently.
    """
    by_image: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for category, image_id, correct in results:
        by_image[category][image_id].append(bool(correct))
    scores: dict[str, float] = {}
    for category, images in by_image.items():
        total = 0.0
        for image_id, answers in images.items():
            if len(answers) != 2:
                raise ValueError(
                    f"MME scores images in pairs: image {image_id!r} ({category}) has {len(answers)} scored "
                    "question(s), expected 2. Score whole images (keep both questions of every image)."
                )
            total += 100.0 * sum(answers) / 2 + (100.0 if all(answers) else 0.0)
        scores[category] = total / len(images)
    return scores


def split_totals(scores: dict[str, float]) -> tuple[float, float]:
    """(perception, cognition): sums of the category scores present in each group."""
    unknown = set(scores) - set(PERCEPTION_CATEGORIES) - set(COGNITION_CATEGORIES)
    if unknown:
        raise ValueError(f"unknown MME categories {sorted(unknown)}; the data is not lmms-lab/MME.")
    perception = sum(scores[c] for c in PERCEPTION_CATEGORIES if c in scores)
    cognition = sum(scores[c] for c in COGNITION_CATEGORIES if c in scores)
    return perception, cognition
