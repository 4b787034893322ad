"""VQAv2: test-dev for the paper (scored by the EvalAI server), validation scored locally.

`vqav2` answers the 107,394 test-dev questions and writes the EvalAI upload file; the server's
score is recorded afterwards (`eagle-eval record-server-score`). `vqav2_val` scores the validation
split here with VQA accuracy, as lmms-eval 0.7.3 does. `vqav2_test` answers the whole test2015
split (447,793), which is what Eagle's own evaluation script submitted.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from eagle_eval.metrics.vqa import normalize_answer, normalize_vqav2_answer, vqa_accuracy
from eagle_eval.records import GenerationSettings, SampleScore
from eagle_eval.registry import register_task
from eagle_eval.samples_io import write_text_atomic
from eagle_eval.task import Doc, ScoredDoc, Source, Task

REPO = "lmms-lab/VQAv2"
REVISION = "main"  # no full commit hash of the repo is in public material; see docs/protocol/vqav2.md
SHORT_ANSWER_SUFFIX = "\nAnswer the question using a single word or phrase."


class _VQAv2Base(Task):
    paper_column = "VQAv2"
    headline_metric = "vqa_accuracy"
    units = "percent"
    generation = GenerationSettings(max_new_tokens=16)
    required_columns = ("question_id", "question", "image", "answers")

    def prompt(self, doc: Doc) -> str:
        return f"{doc.row['question']}{SHORT_ANSWER_SUFFIX}"

    def images(self, doc: Doc) -> list[Image.Image]:
        return [doc.row["image"].convert("RGB")]


class _VQAv2Server(_VQAv2Base):
    """A split whose answers only the EvalAI server holds: score = the answer to upload."""

    server_scored = True

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        # The upload carries the EvalAI-normalised answer, as the paper's harness wrote it; the
        # server normalises again, so this changes nothing but the file's readability.
        return SampleScore(values={}, extraction="rule", parsed=normalize_answer(prediction))

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        return {"vqa_accuracy": None, "n": len(scored)}

    def write_submission(self, scored: Sequence[ScoredDoc], path: Path) -> Path:
        """EvalAI's VQA upload: a JSON list of {"question_id": int, "answer": str}, one per question."""
        entries = [{"question_id": int(s.doc.row["question_id"]), "answer": s.score.parsed} for s in scored]
        seen: set[int] = set()
        for entry in entries:
            if entry["question_id"] in seen:
                raise ValueError(f"VQAv2 submission: question {entry['question_id']} appears twice")
            seen.add(entry["question_id"])
        write_text_atomic(Path(path), json.dumps(entries))
        return Path(path)


@register_task
class VQAv2TestDev(_VQAv2Server):
    name = "vqav2"
    description = "VQAv2 test-dev, answers written for the EvalAI server (VQA accuracy there)"
    paper_protocol = True
    sources = (Source(REPO, "default", "testdev", REVISION),)


@register_task
class VQAv2Test(_VQAv2Server):
    name = "vqav2_test"
    description = "VQAv2 test2015 (test-dev + test-std), answers written for the EvalAI server"
    paper_protocol = False
    sources = (Source(REPO, "default", "test", REVISION),)


@register_task
class VQAv2Val(_VQAv2Base):
    name = "vqav2_val"
    description = "VQAv2 validation scored locally with VQA accuracy"
    paper_protocol = False
    sources = (Source(REPO, "default", "validation", REVISION),)

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        answers = doc.row["answers"]
        if not answers:
            raise ValueError(
                f"VQAv2 question {doc.row['question_id']} has no answers; only the validation split "
                f"of {REPO} carries them (test-dev is scored by the server: use task vqav2)."
            )
        predicted = normalize_vqav2_answer(prediction)
        truths = [normalize_vqav2_answer(a["answer"]) for a in answers]
        return SampleScore(
            values={"vqa_accuracy": vqa_accuracy(predicted, truths)}, extraction="rule", parsed=predicted
        )

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        if not scored:
            return {"vqa_accuracy": None, "n": 0}
        return {
            "vqa_accuracy": statistics.fmean(s.score.values["vqa_accuracy"] for s in scored),
            "n": len(scored),
        }
