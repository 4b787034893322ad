"""VizWiz-VQA: test for the paper (scored by the EvalAI server), val scored locally.

Questions from blind users, many of which cannot be answered from the picture; the prompt asks the
model to say "Unanswerable" then. `vizwiz` writes the EvalAI upload file; the server's score is
recorded afterwards (`eagle-eval record-server-score`). `vizwiz_val` scores val here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, ScoredDoc, Source
from eagle_eval.core.records import GenerationSettings
from eagle_eval.results.submissions import write_unique_json_list
from eagle_eval.tasks._vqa import LocalVQATask, ServerVQATask, VQATask

REPO = "lmms-lab/VizWiz-VQA"
# main on the hub since the test split was added ("Update README.md").
REVISION = "d428a2dae984f79cf1b9d99467dfa883e0c30686"
INSTRUCTION = (
    "\nWhen the provided information is insufficient, respond with 'Unanswerable'."
    "\nAnswer the question using a single word or phrase."
)


class _VizWizBase(VQATask):
    paper_column = "VizWiz"
    # No max_new_tokens in the task: the paper's wrapper generated up to 1,024 tokens or EOS.
    generation = GenerationSettings()
    required_columns = ("question_id", "question", "image", "answers")

    def prompt(self, doc: Doc) -> str:
        return f"{doc.row['question'].capitalize()}{INSTRUCTION}"


@register_task
class VizWizTest(ServerVQATask, _VizWizBase):
    name = "vizwiz"
    description = "VizWiz-VQA test, answers written for the EvalAI server (VQA accuracy there)"
    paper_protocol = True
    sources = (Source(REPO, "default", "test", REVISION),)

    def write_submission(self, scored: Sequence[ScoredDoc], path: Path) -> Path:
        """EvalAI's VizWiz upload: a JSON list of {"image": "<question_id>.jpg", "answer": str}."""
        entries = [{"image": f"{s.doc.row['question_id']}.jpg", "answer": s.score.parsed} for s in scored]
        return write_unique_json_list(
            entries,
            "image",
            path,
            lambda images: f"VizWiz submission: images listed twice: {', '.join(sorted(map(str, images))[:5])}",
        )


@register_task
class VizWizVal(LocalVQATask, _VizWizBase):
    name = "vizwiz_val"
    description = "VizWiz-VQA val scored locally with VQA accuracy"
    paper_protocol = False
    sources = (Source(REPO, "default", "val", REVISION),)
    benchmark = "VizWiz"
    missing_answers_hint = (
        f"only the val split of {REPO} carries them (test is scored by the server: use task vizwiz)."
    )
