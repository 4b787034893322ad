"""SEED-Bench image questions (data_type "image": 14,233 of the test split), four-way multiple choice.

Prompt follows the Eagle authors' copy of lmms-eval: the question, "A. ..." to "D. ..." and the
instruction; generation ends at EOS (the authors' wrapper ignores the task's stop string, and the task
sets no token limit, so the wrapper's 1,024 applies). Scoring is lmms-eval 0.7.3's: the first character
of the stripped answer, compared case-insensitively with the answer letter -> seed_image accuracy.

doc_id is the row's index in the whole test split (video rows included), which is what lmms-eval's
doc_id is for this task (it scores every row and splits the metric by data_type afterwards), so its
log_samples files map onto our docs one to one; video rows are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, ScoredDoc, Source, Task, lazy_rows
from eagle_eval.core.records import GenerationSettings, SampleScore
from eagle_eval.metrics.aggregate import accuracy_by_group
from eagle_eval.stats.statistics import MeanByGroup

REPO = "lmms-lab/SEED-Bench"
# The hub's commit could not be read from here; pin the real hash when fetching (docs/protocol/seed.md).
REVISION = "main"

INSTRUCTION = "Answer with the option's letter from the given choices directly."
IMAGE_DATA_TYPE = "image"


def first_character(prediction: str) -> str:
    """lmms-eval's reading of an answer: its first non-blank character ("" for a blank answer)."""
    return prediction.strip()[:1]


@register_task
class SEEDImage(Task):
    name = "seed"
    description = "SEED-Bench image questions (data_type image), answered with a letter"
    paper_column = "SEED"
    paper_protocol = True
    headline_metric = "accuracy"
    units = "percent"
    sources = (Source(REPO, None, "test", REVISION),)
    generation = GenerationSettings(max_new_tokens=1024)
    # load_docs keeps only the image rows, under their split index: predictions for video rows (an
    # lmms-eval log of the whole split) are to be skipped, not rejected, when scoring a file.
    filters_rows = True
    required_columns = (
        "question",
        "choice_a",
        "choice_b",
        "choice_c",
        "choice_d",
        "answer",
        "data_type",
        "image",
        "data_id",
    )
    # `data_id` names the picture, and some pictures carry several questions.
    cluster_key = "data_id"
    extra_statistics = (("accuracy/question_type_{}", MeanByGroup("accuracy", "question_type_id")),)

    def docs_from_dataset(self, source: Source, dataset: Any, data_root: Any) -> list[Doc]:
        # Filter on the type column before touching rows, so video frames are never decoded.
        keep = [index for index, kind in enumerate(dataset["data_type"]) if kind == IMAGE_DATA_TYPE]
        rows = lazy_rows(dataset.select(keep))
        return [Doc(split=source.split, doc_id=index, row=row) for index, row in zip(keep, rows, strict=True)]

    def prompt(self, doc: Doc) -> str:
        row = doc.row
        options = "\n".join(f"{letter}. {row[f'choice_{letter.lower()}']}" for letter in "ABCD")
        return f"{row['question']}\n{options}\n{INSTRUCTION}"

    def images(self, doc: Doc) -> list[Image.Image]:
        return [image.convert("RGB") for image in doc.row["image"]]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        letter = first_character(prediction)
        correct = letter.lower() == str(doc.row["answer"]).strip().lower()
        return SampleScore(
            values={"accuracy": float(correct)},
            extraction="rule" if letter else "unresolved",
            parsed=letter,
        )

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        return accuracy_by_group(
            scored, lambda item: int(item.doc.row["question_type_id"]), lambda type_id: f"question_type_{type_id}"
        )
