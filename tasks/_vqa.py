"""What the VQA-accuracy benchmarks (TextVQA, VizWiz, VQAv2) share: one picture per question, and
either local VQA accuracy against the annotators' answers or an answer kept for an evaluation server.

The module name starts with "_" so that it is not loaded as a benchmark of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from PIL import Image

from eagle_eval.api.task import Doc, ScoredDoc, Task
from eagle_eval.core.records import SampleScore
from eagle_eval.metrics.aggregate import mean_score
from eagle_eval.metrics.vqa import normalize_answer, score_against_answers


class VQATask(Task):
    headline_metric = "vqa_accuracy"
    units = "percent"

    def images(self, doc: Doc) -> list[Image.Image]:
        return [doc.row["image"].convert("RGB")]


class LocalVQATask(VQATask):
    """A split whose answers we hold: VQA accuracy of the normalised prediction, averaged over questions."""

    # "<benchmark> question <id> has no answers; <missing_answers_hint>" when a row has none.
    benchmark: ClassVar[str]
    missing_answers_hint: ClassVar[str]

    def normalize(self, text: str) -> str:
        return normalize_answer(text)

    def answer_texts(self, answers: Sequence[Any]) -> list[str]:
        """The annotators' answers as strings, from the row's non-empty `answers` column."""
        return list(answers)

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        answers = doc.row["answers"]
        if not answers:
            raise ValueError(
                f"{self.benchmark} question {doc.row['question_id']} has no answers; {self.missing_answers_hint}"
            )
        predicted, accuracy = score_against_answers(prediction, self.answer_texts(answers), self.normalize)
        return SampleScore(values={"vqa_accuracy": accuracy}, extraction="rule", parsed=predicted)

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        return {"vqa_accuracy": mean_score(scored, "vqa_accuracy"), "n": len(scored)}


class ServerVQATask(VQATask):
    """A split whose answers only the EvalAI server holds: score = the answer to upload."""

    server_scored = True

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        # The upload carries the EvalAI-normalised answer, as the paper's harness wrote it; the
        # server normalises again, so this changes nothing but the file's readability.
        return SampleScore(values={}, extraction="rule", parsed=normalize_answer(prediction))

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        return {"vqa_accuracy": None, "n": len(scored)}
