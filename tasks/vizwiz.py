"""VizWiz-VQA: test for the paper (scored by the EvalAI server), val scored locally.

Questions from blind users, many of which cannot be answered from the picture; the prompt asks the
model to say "Unanswerable" then. `vizwiz` writes the EvalAI upload file; the server's score is
recorded afterwards (`eagle-eval record-server-score`). `vizwiz_val` scores val here.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from eagle_eval.metrics.vqa import normalize_answer, vqa_accuracy
from eagle_eval.records import GenerationSettings, SampleScore
from eagle_eval.registry import register_task
from eagle_eval.samples_io import write_text_atomic
from eagle_eval.task import Doc, ScoredDoc, Source, Task

REPO = "lmms-lab/VizWiz-VQA"
# main on the hub since the test split was added ("Update README.md").
REVISION = "d428a2dae984f79cf1b9d99467dfa883e0c30686"
INSTRUCTION = (
    "\nWhen the provided information is insufficient, respond with 'Unanswerable'."
    "\nAnswer the question using a single word or phrase."
)


class _VizWizBase(Task):
    paper_column = "VizWiz"
    headline_metric = "vqa_accuracy"
    units = "percent"
    # No max_new_tokens in the task: the paper's wrapper generated up to 1,024 tokens or EOS.
    generation = GenerationSettings()
    required_columns = ("question_id", "question", "image", "answers")

    def prompt(self, doc: Doc) -> str:
        return f"{doc.row['question'].capitalize()}{INSTRUCTION}"

    def images(self, doc: Doc) -> list[Image.Image]:
        return [doc.row["image"].convert("RGB")]


@register_task
class VizWizTest(_VizWizBase):
    name = "vizwiz"
    description = "VizWiz-VQA test, answers written for the EvalAI server (VQA accuracy there)"
    paper_protocol = True
    server_scored = True
    sources = (Source(REPO, "default", "test", REVISION),)

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        return SampleScore(values={}, extraction="rule", parsed=normalize_answer(prediction))

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        return {"vqa_accuracy": None, "n": len(scored)}

    def write_submission(self, scored: Sequence[ScoredDoc], path: Path) -> Path:
        """EvalAI's VizWiz upload: a JSON list of {"image": "<question_id>.jpg", "answer": str}."""
        entries = [{"image": f"{s.doc.row['question_id']}.jpg", "answer": s.score.parsed} for s in scored]
        images = [entry["image"] for entry in entries]
        if len(set(images)) != len(images):
            duplicated = sorted({name for name in images if images.count(name) > 1})
            raise ValueError(f"VizWiz submission: images listed twice: {', '.join(duplicated[:5])}")
        write_text_atomic(Path(path), json.dumps(entries))
        return Path(path)


@register_task
class VizWizVal(_VizWizBase):
    name = "vizwiz_val"
    description = "VizWiz-VQA val scored locally with VQA accuracy"
    paper_protocol = False
    sources = (Source(REPO, "default", "val", REVISION),)

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        answers = doc.row["answers"]
        if not answers:
            raise ValueError(
                f"VizWiz question {doc.row['question_id']} has no answers; only the val split of {REPO} "
                "carries them (test is scored by the server: use task vizwiz)."
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
