"""MathVista testmini (1,000 problems): answer extraction (rules, then an optional judge), accuracy.

Responses the rules read (an exact choice, a bare option letter, a bare number) never reach the
judge. The rest go to the judge when one is configured and are counted unresolved (wrong) when none
is, or `judge_failed` (wrong, and named by the run) when it does not answer: nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, JudgeUnavailable, ScoredDoc, Source, Task
from eagle_eval.core.records import GenerationSettings, SampleScore
from eagle_eval.metrics.aggregate import extraction_counts, grouped_means, mean_score
from eagle_eval.metrics.mathvista import (
    answers_match,
    extraction_prompt,
    format_prompt,
    normalize_answer,
    rule_extract,
)
from eagle_eval.stats.statistics import MeanByGroup, MeanOf

REPO = "AI4Math/MathVista"
# No commit hash of the repo is confirmed in public material; see docs/protocol/mathvista.md.
REVISION = "main"


@register_task
class MathVista(Task):
    name = "mathvista"
    description = "MathVista testmini, format-prompt query; rule extraction then an optional judge; accuracy"
    paper_column = "MathVista"
    headline_metric = "accuracy"
    units = "percent"
    sources = (Source(REPO, None, "testmini", REVISION),)
    # The paper's harness asks for up to 1,024 tokens and ignores its stop string.
    generation = GenerationSettings(max_new_tokens=1024)
    required_columns = (
        "pid", "question", "decoded_image", "choices", "unit", "precision", "answer",
        "question_type", "answer_type", "metadata", "query",
    )  # fmt: skip
    uses_judge = True
    # One question per problem (pid) and picture.
    headline_statistic = MeanOf("correct")
    extra_statistics = (
        ("question_type_{}", MeanByGroup("correct", "question_type")),
        ("answer_type_{}", MeanByGroup("correct", "answer_type")),
    )

    def prompt(self, doc: Doc) -> str:
        return format_prompt(doc.row)

    def images(self, doc: Doc) -> list[Image.Image]:
        return [doc.row["decoded_image"].convert("RGB")]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        row = doc.row
        response = prediction.strip()
        extracted = rule_extract(response, row)
        extraction = "rule"
        if extracted is None:
            extraction = "unresolved"
            if judge is not None and response:
                try:
                    # An empty reply is the judge finding nothing: unresolved, never the choice nearest to "".
                    extracted = judge.ask(extraction_prompt(row["query"], response)).strip() or None
                    extraction = "judge" if extracted is not None else "unresolved"
                except JudgeUnavailable:
                    extracted, extraction = None, "judge_failed"
        normalized = normalize_answer(extracted, row) if extracted is not None else None
        correct = answers_match(normalized, row["answer"])
        return SampleScore(values={"correct": float(correct)}, extraction=extraction, parsed=normalized)

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        metrics: dict[str, Any] = {
            "accuracy": mean_score(scored, "correct", empty=0.0),
            "n": len(scored),
            "correct": int(sum(s.score.values["correct"] for s in scored)),
        }
        metrics.update(extraction_counts(scored, ("rule", "judge", "unresolved", "judge_failed")))
        metrics.update(
            grouped_means(
                (group, s.score.values["correct"])
                for s in scored
                for group in (
                    f"question_type_{s.doc.row['question_type']}",
                    f"answer_type_{s.doc.row['answer_type']}",
                    f"task_{s.doc.row['metadata']['task']}",
                )
            )
        )
        return metrics
