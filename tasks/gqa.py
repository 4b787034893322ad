"""GQA test-dev balanced (12,578 questions): one word or phrase, exact match.

The questions (config `testdev_balanced_instructions`) carry an `imageId`; the pictures live in a
second config of the same repo (`testdev_balanced_images`, columns `id`, `image`). `load_docs` reads
both and attaches each question's picture to its row under `image`, as lmms-eval does.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, ImageColumn, LazyRow, ScoredDoc, Source, Task, lazy_rows
from eagle_eval.core.records import GenerationSettings, SampleScore
from eagle_eval.data.loading import DataError, load_source
from eagle_eval.metrics.aggregate import mean_score
from eagle_eval.metrics.exact import exact_match

REPO = "lmms-lab/GQA"
REVISION = "main"  # no commit hash of the repo is confirmed in public material; see docs/protocol/gqa.md
SHORT_ANSWER_SUFFIX = "\nAnswer the question using a single word or phrase."

QUESTIONS = Source(REPO, "testdev_balanced_instructions", "testdev", REVISION)
IMAGES = Source(REPO, "testdev_balanced_images", "testdev", REVISION)
IMAGE_COLUMNS = ("id", "image")


@register_task
class GQA(Task):
    name = "gqa"
    description = "GQA test-dev balanced, exact match after lowercasing and deleting punctuation"
    paper_column = "GQA"
    headline_metric = "accuracy"
    units = "percent"
    sources = (QUESTIONS, IMAGES)
    generation = GenerationSettings(max_new_tokens=16)
    required_columns = ("id", "imageId", "question", "answer")
    # ~12.6k questions on a few hundred pictures: questions about one picture are not independent.
    cluster_key = "imageId"

    def load_docs(self, data_root: Path | None = None) -> list[Doc]:
        questions = load_source(QUESTIONS, data_root, required_columns=self.required_columns)
        pictures = load_source(IMAGES, data_root, required_columns=IMAGE_COLUMNS)
        # Pictures are looked up by id and decoded only when a request is built.
        position_by_id = {image_id: index for index, image_id in enumerate(pictures["id"])}
        images = ImageColumn(pictures, "image")
        docs: list[Doc] = []
        for doc_id, row in enumerate(lazy_rows(questions)):
            position = position_by_id.get(row["imageId"])
            if position is None:
                raise DataError(
                    f"GQA question {row['id']!r} refers to imageId {row['imageId']!r}, which config "
                    f"{IMAGES.config!r} of {REPO} does not hold. Fetch both configs of the same revision."
                )
            load_image = partial(images.decode, position)
            docs.append(Doc(split=QUESTIONS.split, doc_id=doc_id, row=LazyRow(dict(row), {"image": load_image})))
        return docs

    def prompt(self, doc: Doc) -> str:
        return f"{doc.row['question']}{SHORT_ANSWER_SUFFIX}"

    def images(self, doc: Doc) -> list[Image.Image]:
        return [doc.row["image"].convert("RGB")]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        correct = exact_match(prediction, doc.row["answer"])
        return SampleScore(values={"accuracy": float(correct)}, extraction="rule", parsed=prediction.strip())

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        return {"accuracy": mean_score(scored, "accuracy"), "n": len(scored)}

