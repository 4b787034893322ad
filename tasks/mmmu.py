"""MMMU validation (900 questions, 30 subjects): multiple-choice and open questions over 1–7 images.

Prompt and images follow the Eagle authors' copy of lmms-eval (0.1.2): the question, the options as
"A. ..." lines and one instruction line, each `<image k>` reference replaced by `<image>` so the
images sit inline where the text refers to them, 16 new tokens. Scoring is MMMU's official parsers as
lmms-eval 0.7.3 applies them (eagle_eval/metrics/mmmu.py), with a seeded fallback guess (counted).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from PIL import Image

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, ScoredDoc, Source, Task
from eagle_eval.core.records import IMAGE_PLACEHOLDER, GenerationSettings, SampleScore
from eagle_eval.metrics import mmmu as mmmu_metric
from eagle_eval.metrics.aggregate import extraction_counts, grouped_means, mean_of, mean_score

REPO = "lmms-lab/MMMU"
# The hub's commit could not be read from here; pin the real hash when fetching (docs/protocol/mmmu.md).
REVISION = "main"

MULTIPLE_CHOICE_INSTRUCTION = "Answer with the option letter from the given choices directly."
OPEN_INSTRUCTION = "Answer the question using a single word or phrase."
MULTIPLE_CHOICE = "multiple-choice"

_IMAGE_REFERENCE = re.compile(r"<image (\d+)>")
_IMAGE_COLUMNS = tuple(f"image_{k}" for k in range(1, 8))


def question_text(row: dict[str, Any]) -> str:
    """The question with its options and instruction, `<image k>` references still in place."""
    if row["question_type"] == MULTIPLE_CHOICE:
        options = mmmu_metric.parse_options(row["options"])
        letters = mmmu_metric.option_letters(len(options))
        block = "\n".join(f"{letter}. {option}" for letter, option in zip(letters, options, strict=True))
        return f"{row['question']}\n{block}\n{MULTIPLE_CHOICE_INSTRUCTION}"
    return f"{row['question']}\n{OPEN_INSTRUCTION}"


@register_task
class MMMU(Task):
    name = "mmmu"
    description = "MMMU validation: college-level multi-discipline questions over 1-7 inline images"
    paper_column = "MMMU"
    paper_protocol = True
    headline_metric = "accuracy"
    units = "percent"
    sources = (Source(REPO, None, "validation", REVISION),)
    generation = GenerationSettings(max_new_tokens=16)
    required_columns = ("id", "question", "options", "answer", "question_type", *_IMAGE_COLUMNS)

    def prompt(self, doc: Doc) -> str:
        return _IMAGE_REFERENCE.sub(IMAGE_PLACEHOLDER, question_text(doc.row))

    def images(self, doc: Doc) -> list[Image.Image]:
        # One image per reference, in the order of the references, repeats included: each inline
        # `<image>` of the prompt takes the next image, as in the authors' copy.
        row = doc.row
        pictures = []
        for number in _IMAGE_REFERENCE.findall(question_text(row)):
            column = f"image_{number}"
            picture = row.get(column)
            if picture is None:
                raise ValueError(
                    f"MMMU sample {row['id']} refers to <image {number}> but its column {column} is empty; "
                    "the dataset copy is incomplete (re-fetch lmms-lab/MMMU)."
                )
            pictures.append(picture.convert("RGB"))
        return pictures

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        row = doc.row
        if row["question_type"] == MULTIPLE_CHOICE:
            options = mmmu_metric.parse_options(row["options"])
            choice = mmmu_metric.parse_multiple_choice(prediction, options, row["id"])
            correct = mmmu_metric.is_correct_multiple_choice(row["answer"], choice.letter)
            return SampleScore(
                values={"accuracy": float(correct)},
                extraction="fallback" if choice.fallback else "rule",
                parsed=choice.letter,
            )
        candidates = mmmu_metric.parse_open(prediction)
        correct = mmmu_metric.is_correct_open(row["answer"], candidates)
        return SampleScore(values={"accuracy": float(correct)}, extraction="rule", parsed=candidates)

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        """Instance-weighted accuracy overall, per discipline and per subject (fractions, 0-1)."""
        if not scored:
            return {"accuracy": None, "count": 0}
        subject_scores = [
            (mmmu_metric.subject_of(item.doc.row["id"]), item.score.values["accuracy"]) for item in scored
        ]
        metrics: dict[str, Any] = {"accuracy": mean_score(scored, "accuracy"), "count": len(scored)}
        for discipline, subjects in mmmu_metric.DISCIPLINE_SUBJECTS.items():
            accuracy = mean_of(value for subject, value in subject_scores if subject in subjects)
            if accuracy is not None:
                metrics[f"accuracy/{discipline}"] = accuracy
        by_subject = grouped_means(subject_scores)
        metrics.update({f"accuracy/{subject}": value for subject, value in by_subject.items()})
        metrics.update(extraction_counts(scored, ("rule", "fallback"), prefix="extraction/"))
        return metrics
