"""The per-task JSONL files of a run: samples (predictions, the resume unit) and scores.

A samples file is append-only. A killed run can leave a torn last line (no trailing newline, or
half a JSON object); `repair_samples_file` cuts it off so the sample is redone. Invalid lines
anywhere else are corruption and raise `SamplesFileError` naming the file and line.

`read_predictions` reads any predictions file the `score` command and the replay adapter accept:
our samples files, plain `{"doc_id", "prediction"}` lines, and lmms-eval `--log_samples` files
(`filtered_resps`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from eagle_eval.core import text_input
from eagle_eval.core.output_files import write_text_atomic, writing


class SamplesFileError(ValueError):
    """A samples or predictions file that cannot be used; the message names file:line and the fix."""


@dataclass
class SampleRecord:
    """One line of samples/<task>.jsonl.

    `seconds` is the sample's share of its batch's time inside the adapter's `generate` (null only
    where nothing was generated: a request that could not be built). It is the one field that
    differs between two runs of the same command, data and model; every other field is identical.
    """

    task: str
    split: str
    doc_id: int
    fingerprint: str
    prediction: str | None
    error: str | None = None
    seconds: float | None = None
    # The adapter's notes on this sample's input (Eagle: input_positions, input_truncated); written only
    # when there are some.
    notes: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.split, self.doc_id)

    def to_line(self) -> str:
        record = asdict(self)
        if record["notes"] is None:
            del record["notes"]
        return json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"


@dataclass
class Prediction:
    """A prediction read from a predictions file. `split` is None when the file does not say."""

    doc_id: int
    prediction: str | None
    split: str | None = None
    task: str | None = None
    error: str | None = None
    line_no: int = 0
    fingerprint: str | None = None  # our samples files: what produced the prediction


# --- samples files (resume) ---------------------------------------------------------------------


def repair_samples_file(path: Path) -> int:
    """Truncate a torn tail (last line without newline or not valid JSON); returns bytes removed."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    if not data:
        return 0
    keep = len(data)
    if not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1  # 0 when the only line is torn
    else:
        last_start = data.rfind(b"\n", 0, len(data) - 1) + 1
        try:
            json.loads(data[last_start:])
        except ValueError:
            keep = last_start
    if keep != len(data):
        with open(path, "r+b") as handle:
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
    return len(data) - keep


def read_samples(path: Path) -> list[SampleRecord]:
    """Every record of a samples file, in file order. Call `repair_samples_file` first on resume."""
    records: list[SampleRecord] = []
    if problem := text_input.why_not_a_file(path):  # a folder or a link loop is damage, not an absent file
        raise SamplesFileError(f"{path} {problem}; remove it to redo the task")
    if not path.exists():
        return records
    fix = "delete that line to redo its sample, or the file to redo the task"
    for line_no, obj in text_input.json_lines(path, SamplesFileError, fix):
        if not isinstance(obj, dict):
            raise SamplesFileError(f"{path}:{line_no}: expected a JSON object, got {type(obj).__name__}; {fix}")
        try:
            records.append(
                SampleRecord(
                    task=str(obj["task"]),
                    split=str(obj["split"]),
                    doc_id=int(obj["doc_id"]),
                    fingerprint=str(obj["fingerprint"]),
                    prediction=obj.get("prediction"),
                    error=obj.get("error"),
                    seconds=obj.get("seconds"),
                    notes=obj.get("notes"),
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise SamplesFileError(
                f"{path}:{line_no}: not a samples line ({err!r} missing or invalid); "
                "delete the file to redo this task"
            ) from err
    return records


def latest_by_key(records: Iterable[SampleRecord]) -> dict[tuple[str, int], SampleRecord]:
    """Later lines win: a retried sample is appended after its failed attempt."""
    return {record.key: record for record in records}


class SamplesWriter:
    """Appends sample lines; `flush` makes them durable (flush + fsync), once per batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def write(self, record: SampleRecord) -> None:
        with writing(self.path):
            self._handle.write(record.to_line())

    def flush(self) -> None:
        with writing(self.path):
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        if not self._handle.closed:
            with writing(self.path):
                try:
                    self.flush()
                finally:
                    self._handle.close()

    def __enter__(self) -> SamplesWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
            return
        # Already failing (a full disk, say): close without a second error hiding the first. Lines
        # flushed before stay; a torn last line is cut off when the run resumes.
        with contextlib.suppress(OSError):
            self.close()


def write_jsonl_atomic(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write a whole JSONL file through a temporary file and os.replace (scores files)."""
    text = "".join(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n" for row in rows)
    # A parsed answer can hold a judge's text: one UTF-8 cannot hold (a lone surrogate) is written as U+FFFD.
    write_text_atomic(path, text_input.valid_text(text)[0])


def _json_default(value: Any) -> Any:
    """Parsed answers may be numpy scalars, sets or tuples; write them as plain JSON."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


# --- predictions files (score, replay) ----------------------------------------------------------


def read_predictions(path: Path) -> list[Prediction]:
    """Predictions from a JSONL file in any accepted format; raises SamplesFileError at file:line."""
    if path.is_dir():
        raise SamplesFileError(f"--predictions {path} is a folder; give a JSONL file (e.g. a run's samples/<task>.jsonl)")
    if not path.is_file():
        raise SamplesFileError(f"predictions file not found: {path}")
    predictions: list[Prediction] = []
    for line_no, obj in text_input.json_lines(path, SamplesFileError, "fix or remove that line"):
        if not isinstance(obj, dict):
            raise SamplesFileError(f"{path}:{line_no}: expected a JSON object, got {type(obj).__name__}")
        predictions.append(_prediction_from_line(path, line_no, obj))
    if not predictions:
        raise SamplesFileError(f"{path}: no predictions in the file")
    check_one_prediction_per_doc(path, predictions)
    return predictions


def check_one_prediction_per_doc(path: Path, predictions: Sequence[Prediction]) -> None:
    """Refuse two answers for one doc, which would let whichever line comes last decide the score.

    A later line may follow a failed attempt (a retried sample), and in our samples files a line
    with another fingerprint (a stale prediction regenerated after the prompt or model changed); a
    second answer for the same doc from the same model and prompt, or any repeat in a plain or
    lmms-eval file, is an error naming the lines.
    """
    latest: dict[tuple[str | None, str | None, int], Prediction] = {}
    for prediction in predictions:
        key = (prediction.task, prediction.split, prediction.doc_id)
        earlier = latest.get(key)
        superseded = earlier is not None and (
            earlier.error is not None
            or earlier.prediction is None
            or (earlier.fingerprint is not None and earlier.fingerprint != prediction.fingerprint)
        )
        if earlier is not None and not superseded:
            where = f"doc_id {prediction.doc_id}" + (f" of split {prediction.split!r}" if prediction.split else "")
            raise SamplesFileError(
                f"{path}:{prediction.line_no}: {where} already has a prediction on line {earlier.line_no}; "
                "keep one line per doc (only a failed attempt may be followed by a retry)"
            )
        latest[key] = prediction


def _prediction_from_line(path: Path, line_no: int, obj: dict[str, Any]) -> Prediction:
    where = f"{path}:{line_no}"
    doc_id = obj.get("doc_id")
    if isinstance(doc_id, bool) or not isinstance(doc_id, int) or doc_id < 0:
        raise SamplesFileError(f"{where}: 'doc_id' must be a non-negative integer, got {doc_id!r}")
    split = obj.get("split")
    if split is not None and not isinstance(split, str):
        raise SamplesFileError(f"{where}: 'split' must be a string, got {split!r}")
    task = obj.get("task") if isinstance(obj.get("task"), str) else None
    error = obj.get("error") if isinstance(obj.get("error"), str) else None
    if "prediction" in obj:
        prediction = obj["prediction"]
        if prediction is None and error is None:
            raise SamplesFileError(f"{where}: 'prediction' is null and no 'error' says why")
        if prediction is not None and not isinstance(prediction, str):
            raise SamplesFileError(f"{where}: 'prediction' must be a string, got {type(prediction).__name__}")
    elif "filtered_resps" in obj:
        prediction = _first_response(obj["filtered_resps"])
        if prediction is None:
            raise SamplesFileError(f"{where}: 'filtered_resps' holds no string response")
    else:
        raise SamplesFileError(f"{where}: no 'prediction' (or lmms-eval 'filtered_resps') field")
    fingerprint = obj.get("fingerprint") if isinstance(obj.get("fingerprint"), str) else None
    return Prediction(
        doc_id=doc_id, prediction=prediction, split=split, task=task, error=error, line_no=line_no,
        fingerprint=fingerprint,
    )


def _first_response(value: Any) -> str | None:
    """lmms-eval logs `filtered_resps` as a list whose first element may itself be a list."""
    while isinstance(value, list):
        if not value:
            return None
        value = value[0]
    return value if isinstance(value, str) else None
