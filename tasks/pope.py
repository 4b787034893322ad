"""POPE (9,000 yes/no object-hallucination questions: adversarial, popular, random).

The headline is F1 on the pooled 9,000 questions, which is what Eagle's lmms-eval run reported.
LLaVA-style papers print the mean of the three splits' F1 instead; both are in the metrics, with
each split's accuracy, precision, recall and F1, and the model's own yes-ratio.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, ScoredDoc, Source, Task
from eagle_eval.core.records import GenerationSettings, SampleScore
from eagle_eval.metrics.yesno import ground_truth_yes_no, parse_exact_yes_no, yes_no_metrics
from eagle_eval.stats.statistics import MeanByGroup, MeanOf, PooledF1

REPO = "lmms-lab/POPE"
# main on the hub since the `Full` config was added ("Upload dataset"); the default config's test
# split is unchanged since its first upload (271684c, 2024-01-18).
REVISION = "4db1276663dfa5eb8ad16a52d24c31a09e470896"
SHORT_ANSWER_SUFFIX = "\nAnswer the question using a single word or phrase."


@register_task
class POPE(Task):
    name = "pope"
    description = "POPE test (adversarial + popular + random), exact yes/no, F1 on the pooled set"
    paper_column = "POPE"
    paper_protocol = True
    headline_metric = "f1"
    units = "percent"
    sources = (Source(REPO, "default", "test", REVISION),)
    generation = GenerationSettings(max_new_tokens=128)
    required_columns = ("question_id", "question", "answer", "image", "category", "image_source")
    # Each split asks several questions about one COCO image, and the three splits reuse images.
    cluster_key = "image_source"
    headline_statistic = PooledF1(truth_column="answer")
    extra_statistics = (("accuracy", MeanOf("accuracy")), ("{}/accuracy", MeanByGroup("accuracy", "category")))

    def prompt(self, doc: Doc) -> str:
        return f"{doc.row['question'].strip()}{SHORT_ANSWER_SUFFIX}"

    def images(self, doc: Doc) -> list[Image.Image]:
        return [doc.row["image"].convert("RGB")]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        truth = ground_truth_yes_no(doc.row["answer"])
        category = doc.row.get("category")
        if not isinstance(category, str) or not category:
            raise ValueError(f"ground-truth category {category!r} is not a POPE split name; check the dataset revision")
        answer = parse_exact_yes_no(prediction)
        return SampleScore(
            values={"accuracy": float(answer == truth)},
            extraction="rule" if answer is not None else "unresolved",
            parsed=answer,
        )

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        if not scored:
            return {"f1": None, "n": 0}
        metrics: dict[str, Any] = dict(_metrics_of(scored))
        split_f1 = []
        for category in sorted({s.doc.row["category"] for s in scored}):
            subset = [s for s in scored if s.doc.row["category"] == category]
            for key, value in _metrics_of(subset).items():
                metrics[f"{category}/{key}"] = value
            split_f1.append(metrics[f"{category}/f1"])
        # LLaVA's convention: the unweighted mean of the per-split F1 scores.
        metrics["f1_mean_of_splits"] = sum(split_f1) / len(split_f1)
        return metrics


def _metrics_of(scored: Sequence[ScoredDoc]) -> dict[str, Any]:
    truths = [ground_truth_yes_no(s.doc.row["answer"]) for s in scored]
    return yes_no_metrics(truths, [s.score.parsed for s in scored])
