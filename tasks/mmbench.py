"""MMBench-EN dev (4,329 rows = 1,164 questions with their circular copies): circular accuracy.

A question counts only if the answer to every rotation of its options is right. Each row's answer is
read by MMBench's heuristics (eagle_eval.metrics.choice); what they cannot read goes to the judge when
one is configured, and is counted unresolved (wrong) otherwise, or `judge_failed` (wrong, and named by
the run) when the judge does not answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PIL import Image

from eagle_eval.api.registry import register_task
from eagle_eval.api.task import Doc, JudgeUnavailable, ScoredDoc, Source, Task
from eagle_eval.core.records import GenerationSettings, SampleScore
from eagle_eval.metrics.aggregate import extraction_counts, grouped_means, mean_of, mean_score
from eagle_eval.metrics.choice import circular_accuracy, circular_group, infer_choice, present_options
from eagle_eval.stats.statistics import AllRightPerUnit, MeanOf

REPO = "lmms-lab/MMBench"
# No commit hash of the repo is confirmed in public material; see docs/protocol/mmbench.md.
REVISION = "main"
OPTIONS_HEADER = "There are several options:"
ANSWER_SUFFIX = "\nAnswer with the option's letter from the given choices directly."
PROMPT_LETTERS = "ABCDE"

# The matching prompt of MMBench's official evaluator (sent to gpt-3.5-turbo-0613 in the paper's
# harness), reproduced word for word because the judge's behaviour depends on it.
JUDGE_PROMPT = (
    "You are an AI assistant who will help me to match an answer with several options of a single-choice "
    "question. You are provided with a question, several options, and an answer, and you need to find "
    "which option is most similar to the answer. If the meaning of all options are significantly different "
    "from the answer, output E. Your should output a single uppercase character in A, B, C, D (if they are "
    "valid options), and E. \n"
    "Example 1: \n"
    "Question: What is the main object in image?\nOptions: A. teddy bear B. rabbit C. cat D. dog\n"
    "Answer: a cute teddy bear\nYour output: A\n"
    "Example 2: \n"
    "Question: What is the main object in image?\nOptions: A. teddy bear B. rabbit C. cat D. dog\n"
    "Answer: Spider\nYour output: E\n"
    "Example 3: \n"
    "Question: {question}?\nOptions: {options}\nAnswer: {answer}\nYour output: "
)


def _absent(value: Any) -> bool:
    # The paper's harness drops a hint or option that is null, NaN or the string "nan".
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == "nan"


def options_block(row: dict[str, Any]) -> str:
    lines = [OPTIONS_HEADER]
    for letter in PROMPT_LETTERS:
        value = row.get(letter)
        if value and not _absent(value):  # empty strings are dropped too
            lines.append(f"{letter}. {value}")
    return "\n".join(lines)


def judge_prompt(row: dict[str, Any], prediction: str) -> str:
    """The matching prompt for one row: its options up to the first absent one, as the evaluator lists them."""
    listed = ""
    for letter in "ABCD":
        if _absent(row.get(letter)) or not row.get(letter):
            break
        listed += f"{letter}. {row[letter]}\n"
    options = f"{OPTIONS_HEADER} \n{listed}"
    return JUDGE_PROMPT.format(question=row["question"], options=options, answer=prediction)


@register_task
class MMBench(Task):
    name = "mmbench"
    description = (
        "MMBench-EN dev, circular evaluation (every rotation right), heuristics then an optional judge"
    )
    paper_column = "MMBench"
    headline_metric = "overall"
    units = "percent"
    sources = (Source(REPO, "en", "dev", REVISION),)
    # The paper's harness asks for up to 1,024 tokens and ignores its stop string.
    generation = GenerationSettings(max_new_tokens=1024)
    required_columns = (
        "index",
        "question",
        "hint",
        "answer",
        "A",
        "B",
        "C",
        "D",
        "category",
        "L2-category",
        "image",
    )
    uses_judge = True
    # The circular copies of a question (index + k·1,000,000) share it: the base question is the unit.
    cluster_key = "index"
    scores_units_whole = True  # a question counts only if every circular copy is right
    headline_statistic = AllRightPerUnit("correct")
    extra_statistics = (("row_accuracy", MeanOf("correct")),)

    def cluster_of(self, doc: Doc) -> str:
        return str(circular_group(doc.row["index"]))

    def prompt(self, doc: Doc) -> str:
        row = doc.row
        body = f"{row['question']} {options_block(row)}"
        if not _absent(row["hint"]):
            body = f"{row['hint']} {body}"
        return f"{body}\n{ANSWER_SUFFIX}"

    def images(self, doc: Doc) -> list[Image.Image]:
        return [doc.row["image"].convert("RGB")]

    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        row = doc.row
        answer = prediction.strip()
        options = present_options(row)
        letter = infer_choice(answer, options)
        extraction = "rule"
        if letter is None:
            extraction = "unresolved"
            if judge is not None:
                try:
                    letter = infer_choice(judge.ask(judge_prompt(row, answer)), options)
                    extraction = "judge" if letter is not None else "unresolved"
                except JudgeUnavailable:
                    letter, extraction = None, "judge_failed"
        correct = letter is not None and letter == row["answer"]
        values = {"correct": float(correct), "question": circular_group(row["index"])}
        return SampleScore(values=values, extraction=extraction, parsed=letter)

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        verdicts = circular_accuracy(
            [(int(s.score.values["question"]), bool(s.score.values["correct"])) for s in scored]
        )
        category: dict[int, str] = {}
        l2_category: dict[int, str] = {}
        for s in scored:
            group = int(s.score.values["question"])
            category.setdefault(group, s.doc.row["category"])
            l2_category.setdefault(group, s.doc.row["L2-category"])
        metrics: dict[str, Any] = {
            "overall": mean_of(verdicts.values(), empty=0.0),
            "n_questions": len(verdicts),
            "n_rows": len(scored),
            # Single-pass accuracy over every row, for comparison with non-circular reports.
            "row_accuracy": mean_score(scored, "correct", empty=0.0),
        }
        metrics.update(extraction_counts(scored, ("rule", "judge", "unresolved", "judge_failed")))
        for prefix, names in (("category", category), ("l2_category", l2_category)):
            by_name = grouped_means((names[group], verdict) for group, verdict in verdicts.items())
            metrics.update({f"{prefix}_{name}": accuracy for name, accuracy in by_name.items()})
        return metrics
