"""TextVQA validation (5,000 questions), VQA accuracy with the EvalAI answer normaliser.

Eagle's evaluation turned on lmms-eval's OCR-token prompt (its edit to the task's defaults), so the
paper's numbers come from `textvqa`, whose prompt lists the image's OCR tokens. `textvqa_noocr` is
the same split and scoring without that line (lmms-eval's default today).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from PIL import Image

from eagle_eval.metrics.vqa import normalize_answer, vqa_accuracy
from eagle_eval.records import GenerationSettings, SampleScore
from eagle_eval.registry import register_task
from eagle_eval.task import Doc, ScoredDoc, Source, Task

REPO = "lmms-lab/textvqa"
# The hub shows main at commit 9c0699c (README edit of 2024-03-08; data from 3f6e5db, 2024-01-16);
# the full hash is not in public material we could read, so the branch is pinned by name.
REVISION = "main"
SHORT_ANSWER_SUFFIX = "\nAnswer the question using a single word or phrase."
OCR_PREFIX = "\nReference OCR token: "


class _TextVQABase(Task):
    paper_column = "TextVQA"
    headline_metric = "vqa_accuracy"
    units = "percent"
    sources = (Source(REPO, "default", "validation", REVISION),)
    # No max_new_tokens in the task: the paper's wrapper generated up to 1,024 tokens or EOS.
    generation = GenerationSettings()
    required_columns = ("question_id", "question", "image", "answers", "ocr_tokens")

    def ocr_line(self, doc: Doc) -> str:
        return ""

    def prompt(self, doc: Doc) -> str:
        return f"{doc.row['question'].capitalize()}{self.ocr_line(doc)}{SHORT_ANSWER_SUFFIX}"

    def images(self, doc: Doc) -> list[Image.Image]:
        return [doc.row["image"].convert("RGB")]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        answers = doc.row["answers"]
        if not answers:
            raise ValueError(
                f"TextVQA question {doc.row['question_id']} has no answers; the validation split of "
                f"{REPO} carries ten per question. Re-fetch the dataset."
            )
        predicted = normalize_answer(prediction)
        accuracy = vqa_accuracy(predicted, [normalize_answer(a) for a in answers])
        return SampleScore(values={"vqa_accuracy": accuracy}, extraction="rule", parsed=predicted)

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        if not scored:
            return {"vqa_accuracy": None, "n": 0}
        return {
            "vqa_accuracy": statistics.fmean(s.score.values["vqa_accuracy"] for s in scored),
            "n": len(scored),
        }


@register_task
class TextVQA(_TextVQABase):
    name = "textvqa"
    description = "TextVQA validation with OCR tokens in the prompt (Eagle's setting), VQA accuracy"
    paper_protocol = True

    def ocr_line(self, doc: Doc) -> str:
        # Printed even when a picture has no OCR tokens (the line then ends after the colon).
        return f"{OCR_PREFIX}{', '.join(doc.row['ocr_tokens'])}"


@register_task
class TextVQANoOCR(_TextVQABase):
    name = "textvqa_noocr"
    description = "TextVQA validation without OCR tokens in the prompt (lmms-eval's default), VQA accuracy"
    paper_protocol = False
