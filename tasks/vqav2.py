"""VQAv2: test-dev for the paper (scored by the EvalAI server), validation scored locally.

`vqav2` answers the 107,394 test-dev questions and writes the EvalAI upload file; the server's
score is recorded afterwards (`eagle-eval record-server-score`). `vqav2_val` scores the validation
split here with VQA accuracy, as lmms-eval 0.7.3 does. `vqav2_test` answers the whole test2015
split (447,793), which is what Eagle's own evaluation script submitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, ScoredDoc, Source
from eagle_eval.core.records import GenerationSettings
from eagle_eval.metrics.vqa import normalize_vqav2_answer
from eagle_eval.results.submissions import write_unique_json_list
from eagle_eval.tasks._vqa import LocalVQATask, ServerVQATask, VQATask

REPO = "lmms-lab/VQAv2"
REVISION = "main"  # no full commit hash of the repo is in public material; see docs/protocol/vqav2.md
SHORT_ANSWER_SUFFIX = "\nAnswer the question using a single word or phrase."


class _VQAv2Base(VQATask):
    paper_column = "VQAv2"
    generation = GenerationSettings(max_new_tokens=16)
    required_columns = ("question_id", "question", "image", "answers", "image_id")
    # Several questions per COCO image.
    cluster_key = "image_id"

    def prompt(self, doc: Doc) -> str:
        return f"{doc.row['question']}{SHORT_ANSWER_SUFFIX}"


class _VQAv2Server(ServerVQATask, _VQAv2Base):
    def write_submission(self, scored: Sequence[ScoredDoc], path: Path) -> Path:
        """EvalAI's VQA upload: a JSON list of {"question_id": int, "answer": str}, one per question."""
        entries = [{"question_id": int(s.doc.row["question_id"]), "answer": s.score.parsed} for s in scored]
        return write_unique_json_list(
            entries,
            "question_id",
            path,
            lambda question_ids: f"VQAv2 submission: question {question_ids[0]} appears twice",
        )


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
class VQAv2Val(LocalVQATask, _VQAv2Base):
    name = "vqav2_val"
    description = "VQAv2 validation scored locally with VQA accuracy"
    paper_protocol = False
    sources = (Source(REPO, "default", "validation", REVISION),)
    benchmark = "VQAv2"
    missing_answers_hint = (
        f"only the validation split of {REPO} carries them "
        "(test-dev is scored by the server: use task vqav2)."
    )

    def normalize(self, text: str) -> str:
        return normalize_vqav2_answer(text)

    def answer_texts(self, answers: Sequence[Any]) -> list[str]:
        return [answer["answer"] for answer in answers]
