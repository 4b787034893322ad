"""OCRBench (1,000 questions in 5 categories): substring match, score out of 1000."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, ScoredDoc, Source, Task
from eagle_eval.core.records import GenerationSettings, SampleScore
from eagle_eval.metrics.ocrbench import (
    CATEGORY_FULL_SIZE,
    FULL_SET_SIZE,
    category_totals,
    ocrbench_hit,
)
from eagle_eval.stats.statistics import MeanOf

REPO = "echo840/OCRBench"
REVISION = "main"  # no commit hash of the repo is confirmed in public material; see docs/protocol/ocrbench.md

# Metric keys for the five categories, in OCRBench's reporting order.
CATEGORY_KEYS: dict[str, str] = {
    "Text Recognition": "text_recognition",
    "Scene Text-centric VQA": "scene_text_vqa",
    "Doc-oriented VQA": "doc_oriented_vqa",
    "Key Information Extraction": "key_information_extraction",
    "Handwritten Mathematical Expression Recognition": "handwritten_math_expression",
}


@register_task
class OCRBench(Task):
    name = "ocrbench"
    description = "OCRBench, 1 point per question whose ground truth appears in the answer, out of 1000"
    paper_column = "OCRBench"
    headline_metric = "ocrbench_score"
    units = "ocrbench_points"
    sources = (Source(REPO, None, "test", REVISION),)
    generation = GenerationSettings(max_new_tokens=128)
    required_columns = ("dataset", "question", "question_type", "answer", "image")
    # One question per picture. The score out of 1000 is 1000 × the share answered right.
    headline_statistic = MeanOf("correct", multiplier=FULL_SET_SIZE)

    def prompt(self, doc: Doc) -> str:
        return doc.row["question"].strip()

    def images(self, doc: Doc) -> list[Image.Image]:
        return [doc.row["image"].convert("RGB")]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        hit = ocrbench_hit(prediction, doc.row["answer"], doc.row["dataset"])
        return SampleScore(values={"correct": int(hit)}, extraction="rule", parsed=prediction.strip())

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        hits, counts = category_totals(
            (s.doc.row["question_type"], bool(s.score.values["correct"])) for s in scored
        )
        n = len(scored)
        correct = sum(hits.values())
        metrics: dict[str, Any] = {"correct": correct, "n": n}
        if n == FULL_SET_SIZE:
            # The full benchmark: the score is the count of right answers, and so is each category's.
            metrics["ocrbench_score"] = correct
            for category, key in CATEGORY_KEYS.items():
                metrics[key] = hits[category]
            return metrics
        # A subset: scale to the full benchmark's size so the number reads on the paper's scale, and say so.
        metrics["scaled_from_n"] = n
        metrics["ocrbench_score"] = correct * FULL_SET_SIZE / n if n else None
        for category, key in CATEGORY_KEYS.items():
            size = counts[category]
            metrics[key] = hits[category] * CATEGORY_FULL_SIZE[category] / size if size else None
            metrics[f"{key}_n"] = size
        return metrics
