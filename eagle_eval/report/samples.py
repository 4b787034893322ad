"""One task's sample rows: the samples file joined with its scores file and, where the data root is
reachable, with the dataset rows (question text, references, images).

The samples file is authoritative for which samples exist (the latest line per key wins, as on
resume); the scores file adds values, extraction path and parsed answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eagle_eval.api.task import Doc, Task
from eagle_eval.core import text_input
from eagle_eval.report.thumbnails import ThumbnailStore
from eagle_eval.report.view import SampleRow, Verdict
from eagle_eval.results.samples import SamplesFileError, latest_by_key, read_samples

SampleKey = tuple[str, int]
# Per-sample value names, in the order one is taken as "the" score when the headline is an aggregate.
_SCORE_NAMES = ("vqa_accuracy", "accuracy", "correct", "relaxed", "hit")


@dataclass
class TaskSamples:
    rows: list[SampleRow]
    score_key: str | None
    scores: dict[SampleKey, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_jsonl_objects(path: Path) -> list[dict[str, Any]]:
    """Every JSON object line of a file (scores files, extra samples fields); [] when absent."""
    if problem := text_input.why_not_a_file(path):  # a folder or a link loop is damage, not an absent file
        raise SamplesFileError(f"{path} {problem}; remove it and re-score the run")
    if not path.is_file():
        return []
    lines = text_input.json_lines(path, SamplesFileError, "re-score the run")
    return [obj for _, obj in lines if isinstance(obj, dict)]


def _key(obj: Mapping[str, Any]) -> SampleKey | None:
    try:
        return (str(obj["split"]), int(obj["doc_id"]))
    except (KeyError, TypeError, ValueError):
        return None


def choose_score_key(headline_metric: str, scores: list[dict[str, Any]]) -> str | None:
    names: list[str] = []
    for obj in scores:
        values = obj.get("values")
        if isinstance(values, dict):
            names.extend(k for k, v in values.items() if k not in names and isinstance(v, int | float))
    if headline_metric in names:
        return headline_metric
    return next((name for name in _SCORE_NAMES if name in names), names[0] if names else None)


def verdict_of(score: float | None, error: str | None) -> Verdict:
    if error:
        return "error"
    if score is None:
        return "unscored"
    if score >= 1:
        return "correct"
    return "wrong" if score <= 0 else "partial"


def truncation_of(extra: Mapping[str, Any]) -> str | None:
    """What was cut, as far as the samples line records it: the input (the adapter's notes) or the
    output (`truncated` / `finish_reason: "length"`, written by adapters that know it)."""
    cuts = []
    notes = extra.get("notes")
    if not isinstance(notes, dict):
        notes = {}
    if notes.get("input_truncated") is True:
        positions = notes.get("input_positions")
        cuts.append(f"input cut to the model's length ({positions} positions before the cut)" if positions else "input cut")
    reason = extra.get("finish_reason") or extra.get("stop_reason")
    if extra.get("truncated") is True or reason == "length":
        cuts.append("output stopped at max_new_tokens")
    return "; ".join(cuts) or None


def references_of(row: Mapping[str, Any]) -> list[str]:
    """The gold answers of a dataset row: `answers` (VQA-style lists) or `answer`."""
    answers = row.get("answers") if "answers" in row else None
    if isinstance(answers, list):
        return [str(a.get("answer", a)) if isinstance(a, dict) else str(a) for a in answers]
    if "answer" in row and row.get("answer") is not None:
        return [str(row.get("answer"))]
    return []


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _score_of(score_obj: Mapping[str, Any], score_key: str | None) -> tuple[float | None, bool]:
    """The sample's score, or None; and False when the file held NaN or Infinity there (not a score)."""
    values = score_obj.get("values")
    raw = values.get(score_key) if isinstance(values, dict) and score_key else None
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        return None, True
    return (float(raw), True) if math.isfinite(raw) else (None, False)


def collect_task_samples(
    run_dir: Path,
    task_name: str,
    headline_metric: str,
    task: Task | None,
    docs: Mapping[SampleKey, Doc] | None,
    store: ThumbnailStore | None,
) -> TaskSamples:
    samples_path = run_dir / "samples" / f"{task_name}.jsonl"
    records = latest_by_key(read_samples(samples_path))
    extras = {key: obj for obj in read_jsonl_objects(samples_path) if (key := _key(obj)) is not None}
    score_objs = read_jsonl_objects(run_dir / "scores" / f"{task_name}.jsonl")
    scored = {key: obj for obj in score_objs if (key := _key(obj)) is not None}
    score_key = choose_score_key(headline_metric, score_objs)
    result = TaskSamples(rows=[], score_key=score_key)
    if not records:
        result.notes.append(f"no samples file at {samples_path}")
    image_failures = not_finite = 0
    for key in sorted(records):
        record = records[key]
        score_obj = scored.get(key, {})
        score, finite = _score_of(score_obj, score_key)
        not_finite += not finite
        if score is not None:
            result.scores[key] = score
        row = SampleRow(
            task=task_name,
            split=record.split,
            doc_id=record.doc_id,
            prompt=None,
            prediction=record.prediction,
            references=[],
            score=score,
            verdict=verdict_of(score, record.error),
            extraction=score_obj.get("extraction") if isinstance(score_obj.get("extraction"), str) else None,
            parsed=_text(score_obj.get("parsed")),
            error=record.error,
            truncation=truncation_of(extras.get(key, {})),
        )
        doc = docs.get(key) if docs is not None else None
        if doc is not None and task is not None:
            row.references = references_of(doc.row)
            try:
                row.prompt = task.prompt(doc)
                pictures = task.images(doc) if store is not None else []
                row.images = [store.add(picture) for picture in pictures] if store is not None else []
            except Exception:  # noqa: BLE001 - a sample whose data fails shows without it; counted below
                image_failures += 1
        result.rows.append(row)
    if not_finite:
        result.notes.append(f"{not_finite} samples' {score_key} in scores/{task_name}.jsonl is NaN or Infinity, "
                            "not a score; they are shown unscored (re-score the run to write the file again)")
    if image_failures:
        result.notes.append(f"{image_failures} samples' question or images could not be read from the data root")
    if docs is not None:
        missing = sum(1 for key in records if key not in docs)
        if missing:
            result.notes.append(f"{missing} samples have no row in the dataset at the data root")
    return result
