"""OCRBench scoring: substring matching of the ground truth in the prediction, totals out of 1000.

Pure functions. lmms-eval adds each run's hits into a module-level dict, so a second aggregation in
the same process doubles the score; here every total is computed from its inputs alone.

Matching follows lmms-eval 0.7.3 (`ocrbench_process_results`):
- HME100k (handwritten maths): case-sensitive; newlines and spaces are removed from both sides.
- every other source: fullwidth ASCII is folded to ASCII, both sides lowercased and stripped,
  newlines become spaces.
A sample scores 1 when any of its ground-truth strings is a substring of the prediction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

HME_DATASET = "HME100k"
FULL_SET_SIZE = 1000

TEXT_RECOGNITION = "Text Recognition"
SCENE_TEXT_VQA = "Scene Text-centric VQA"
DOC_VQA = "Doc-oriented VQA"
KEY_INFORMATION_EXTRACTION = "Key Information Extraction"
HANDWRITTEN_MATH = "Handwritten Mathematical Expression Recognition"

# OCRBench's five reported categories; the six recognition question types are reported as one.
CATEGORY_OF_QUESTION_TYPE: dict[str, str] = {
    "Regular Text Recognition": TEXT_RECOGNITION,
    "Irregular Text Recognition": TEXT_RECOGNITION,
    "Artistic Text Recognition": TEXT_RECOGNITION,
    "Handwriting Recognition": TEXT_RECOGNITION,
    "Digit String Recognition": TEXT_RECOGNITION,
    "Non-Semantic Text Recognition": TEXT_RECOGNITION,
    SCENE_TEXT_VQA: SCENE_TEXT_VQA,
    DOC_VQA: DOC_VQA,
    KEY_INFORMATION_EXTRACTION: KEY_INFORMATION_EXTRACTION,
    HANDWRITTEN_MATH: HANDWRITTEN_MATH,
}

# Questions per category in the full 1,000-question benchmark.
CATEGORY_FULL_SIZE: dict[str, int] = {
    TEXT_RECOGNITION: 300,
    SCENE_TEXT_VQA: 200,
    DOC_VQA: 200,
    KEY_INFORMATION_EXTRACTION: 200,
    HANDWRITTEN_MATH: 100,
}


def fold_fullwidth_ascii(text: str) -> str:
    """Map fullwidth ASCII (U+FF01–U+FF5E) to ASCII and the ideographic space to a space; nothing else."""
    return "".join(
        chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else " " if c == "\u3000" else c for c in text
    )


def _normalize_hme(text: str) -> str:
    return text.strip().replace("\n", " ").replace(" ", "")


def _normalize_text(text: str) -> str:
    return fold_fullwidth_ascii(text).lower().strip().replace("\n", " ")


def ocrbench_hit(prediction: str, answers: str | Sequence[str], dataset_name: str) -> bool:
    """True when any ground-truth answer occurs in the prediction under the source's normalisation."""
    normalize = _normalize_hme if dataset_name == HME_DATASET else _normalize_text
    predicted = normalize(prediction.strip())
    candidates = [answers] if isinstance(answers, str) else list(answers)
    return any(normalize(answer) in predicted for answer in candidates)


def category_of(question_type: str) -> str:
    try:
        return CATEGORY_OF_QUESTION_TYPE[question_type]
    except KeyError:
        known = ", ".join(CATEGORY_OF_QUESTION_TYPE)
        raise ValueError(
            f"unknown OCRBench question_type {question_type!r}; expected one of: {known}. "
            "The dataset is not echo840/OCRBench's test split."
        ) from None


def category_totals(results: Iterable[tuple[str, bool]]) -> tuple[dict[str, int], dict[str, int]]:
    """(hits, questions) per category from (question_type, hit) pairs."""
    hits = dict.fromkeys(CATEGORY_FULL_SIZE, 0)
    counts = dict.fromkeys(CATEGORY_FULL_SIZE, 0)
    for question_type, hit in results:
        category = category_of(question_type)
        counts[category] += 1
        hits[category] += int(hit)
    return hits, counts
