"""ScienceQA-IMG test (2,017 questions with an image): multiple choice, answered with a letter.

Prompt follows the Eagle authors' copy of lmms-eval: an optional "Context: {hint}" line, the question,
"A. ..." lines and the instruction, 16 new tokens. Scoring is lmms-eval 0.7.3's rule (LLaVA's): the
stripped answer equals the letter (case-insensitive), or it starts with a capital letter and a period
("B. Provo") and that letter is the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, ScoredDoc, Source, Task
from eagle_eval.core.records import GenerationSettings, SampleScore
from eagle_eval.metrics.aggregate import accuracy_by_group
from eagle_eval.stats.statistics import MeanByGroup

REPO = "lmms-lab/ScienceQA"
CONFIG = "ScienceQA-IMG"
# The hub's commit could not be read from here; pin the real hash when fetching (docs/protocol/sqa.md).
REVISION = "main"

INSTRUCTION = "Answer with the option's letter from the given choices directly."


def letter_of(index: int) -> str:
    return chr(ord("A") + index)


def parse_letter_answer(prediction: str) -> str | None:
    """The letter an answer gives, by lmms-eval's rule: the whole (stripped) answer if it is one
    character, compared case-insensitively; else a capital and a period at its start ("B. Provo");
    else None. "(B)", "The answer is B" and "b. Provo" give None and score as wrong."""
    text = prediction.strip()
    if len(text) == 1:
        return text.upper()
    if len(text) >= 2 and text[0].isupper() and text[1] == ".":
        return text[0]
    return None


@register_task
class ScienceQA(Task):
    name = "sqa"
    description = "ScienceQA-IMG test: science multiple choice with an image, answered by letter"
    paper_column = "SQA"
    paper_protocol = True
    headline_metric = "accuracy"
    units = "percent"
    sources = (Source(REPO, CONFIG, "test", REVISION),)
    generation = GenerationSettings(max_new_tokens=16)
    required_columns = ("image", "question", "choices", "answer", "hint")
    # No image id in the data, and each row is one question with its own picture: no shared unit.
    extra_statistics = (("accuracy/{}", MeanByGroup("accuracy", "subject")),)

    def prompt(self, doc: Doc) -> str:
        row = doc.row
        context = f"Context: {row['hint']}\n" if row["hint"] else ""
        options = "\n".join(f"{letter_of(i)}. {choice}" for i, choice in enumerate(row["choices"]))
        return f"{context}{row['question']}\n{options}\n{INSTRUCTION}"

    def images(self, doc: Doc) -> list[Image.Image]:
        image = doc.row["image"]
        return [] if image is None else [image.convert("RGB")]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        target = letter_of(int(doc.row["answer"]))
        parsed = parse_letter_answer(prediction)
        correct = parsed == target
        return SampleScore(
            values={"accuracy": float(correct)},
            extraction="rule" if parsed is not None else "unresolved",
            parsed=parsed,
        )

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        # Rows without a subject count overall but form no group of their own.
        return accuracy_by_group(scored, lambda item: str(item.doc.row.get("subject", "")) or None, str)
