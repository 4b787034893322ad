"""TextVQA validation (5,000 questions), VQA accuracy with the EvalAI answer normaliser.

Eagle's evaluation turned on lmms-eval's OCR-token prompt (its edit to the task's defaults), so the
paper's numbers come from `textvqa`, whose prompt lists the image's OCR tokens. `textvqa_noocr` is
the same split and scoring without that line (lmms-eval's default today).
"""

from __future__ import annotations

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, Source
from eagle_eval.core.records import GenerationSettings
from eagle_eval.tasks._vqa import LocalVQATask

REPO = "lmms-lab/textvqa"
# The hub shows main at commit 9c0699c (README edit of 2024-03-08; data from 3f6e5db, 2024-01-16);
# the full hash is not in public material we could read, so the branch is pinned by name.
REVISION = "main"
SHORT_ANSWER_SUFFIX = "\nAnswer the question using a single word or phrase."
OCR_PREFIX = "\nReference OCR token: "


class _TextVQABase(LocalVQATask):
    paper_column = "TextVQA"
    sources = (Source(REPO, "default", "validation", REVISION),)
    # No max_new_tokens in the task: the paper's wrapper generated up to 1,024 tokens or EOS.
    generation = GenerationSettings()
    required_columns = ("question_id", "question", "image", "answers", "ocr_tokens", "image_id")
    # One or two questions per picture.
    cluster_key = "image_id"
    benchmark = "TextVQA"
    missing_answers_hint = f"the validation split of {REPO} carries ten per question. Re-fetch the dataset."

    def ocr_line(self, doc: Doc) -> str:
        return ""

    def prompt(self, doc: Doc) -> str:
        return f"{doc.row['question'].capitalize()}{self.ocr_line(doc)}{SHORT_ANSWER_SUFFIX}"


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
