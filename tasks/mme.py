"""MME (1,187 images × 2 yes/no questions): perception (max 2000) and cognition (max 800)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, ScoredDoc, Source, Task
from eagle_eval.core.records import GenerationSettings, SampleScore
from eagle_eval.metrics.mme import (
    COGNITION_CATEGORIES,
    PERCEPTION_CATEGORIES,
    category_scores,
    normalize_target,
    parse_yes_no,
    split_totals,
)
from eagle_eval.stats.statistics import MMEScore

REPO = "lmms-lab/MME"
REVISION = "main"  # no commit hash of the repo is confirmed in public material; see docs/protocol/mme.md
# MME's questions end with this instruction; the paper's harness swaps it for its short-answer one.
YES_NO_INSTRUCTION = " Please answer yes or no."
SHORT_ANSWER_SUFFIX = "\nAnswer the question using a single word or phrase."


@register_task
class MME(Task):
    name = "mme"
    description = "MME yes/no, per category acc + acc+ over image pairs; perception and cognition sums"
    paper_column = "MME"
    headline_metric = "perception"
    units = "mme_points"
    sources = (Source(REPO, None, "test", REVISION),)
    generation = GenerationSettings(max_new_tokens=16)
    required_columns = ("question_id", "image", "question", "answer", "category")
    # question_id names the image; its two questions (one yes, one no) form acc+.
    cluster_key = "question_id"
    scores_units_whole = True  # acc+ needs both questions of an image
    headline_statistic = MMEScore(PERCEPTION_CATEGORIES, label="perception")
    extra_statistics = (("cognition", MMEScore(COGNITION_CATEGORIES, label="cognition")),)

    def prompt(self, doc: Doc) -> str:
        # Every occurrence is removed (str.replace), as the paper's harness does; MME has it once, at the end.
        question = doc.row["question"].strip().replace(YES_NO_INSTRUCTION, "")
        return f"{question}{SHORT_ANSWER_SUFFIX}"

    def images(self, doc: Doc) -> list[Image.Image]:
        return [doc.row["image"].convert("RGB")]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        _check_row(doc.row)
        verdict = parse_yes_no(prediction)
        correct = verdict == normalize_target(doc.row["answer"])
        extraction = "unresolved" if verdict == "other" else "rule"
        return SampleScore(values={"correct": float(correct)}, extraction=extraction, parsed=verdict)

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        per_category = category_scores(
            (s.doc.row["category"], s.doc.row["question_id"], bool(s.score.values["correct"])) for s in scored
        )
        perception, cognition = split_totals(per_category)
        metrics: dict[str, Any] = {
            "perception": perception,
            "cognition": cognition,
            # On a subset, the sums cover only the categories present; these counts say how many.
            "perception_categories": sum(c in per_category for c in PERCEPTION_CATEGORIES),
            "cognition_categories": sum(c in per_category for c in COGNITION_CATEGORIES),
            "n": len(scored),
            "n_images": len(scored) // 2,
            "unresolved": sum(1 for s in scored if s.score.extraction == "unresolved"),
        }
        metrics.update({f"category_{name}": value for name, value in per_category.items()})
        return metrics


def _check_row(row: dict[str, Any]) -> None:
    """The fields aggregation reads: a known category and the image id that pairs the questions."""
    category = row.get("category")
    if category not in PERCEPTION_CATEGORIES and category not in COGNITION_CATEGORIES:
        raise ValueError(f"MME category {category!r} is not one of the 14 MME categories")
    if row.get("question_id") in (None, ""):
        raise ValueError("the row has no question_id (the image id that pairs its two questions)")
