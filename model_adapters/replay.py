"""The replay adapter: answers requests from stored predictions, so scoring never needs a model.

`--predictions` names a JSONL predictions file (any format `eagle-eval score` reads), a run's
samples/ directory, or a run directory. Predictions are looked up by (task, split, doc_id); a file
whose lines carry no task or split answers any task or split. A request without a stored prediction
raises `MissingPredictionError`, which the runner records as that sample's error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from eagle_eval.api.registry import ModelEntry, ModelOptions, register_model, reject_model_args
from eagle_eval.core.records import ModelInfo, Request
from eagle_eval.results.samples import Prediction, SamplesFileError, read_predictions

Key = tuple[str | None, str | None, int]


class MissingPredictionError(LookupError):
    """No stored prediction for a request."""


class ReplayAdapter:
    def __init__(self, source: Path) -> None:
        self.source = source
        self.files = _prediction_files(source)
        self._table: dict[Key, Prediction] = {}
        digest = hashlib.sha256()
        for path in self.files:
            digest.update(path.read_bytes())
            task_from_name = path.stem if path.parent.name == "samples" else None
            for prediction in read_predictions(path):
                task = prediction.task or task_from_name
                self._table[(task, prediction.split, prediction.doc_id)] = prediction
        # The content hash is the "revision": replaying other predictions never reuses stale samples.
        self._revision = digest.hexdigest()[:12]

    def info(self) -> ModelInfo:
        return ModelInfo(name="replay", revision=self._revision, extra={"predictions": str(self.source)})

    def suggested_batch_size(self) -> int:
        return 64

    def generate(self, requests: Sequence[Request]) -> list[str]:
        return [self._answer(request) for request in requests]

    def _answer(self, request: Request) -> str:
        for key in (
            (request.task, request.split, request.doc_id),
            (request.task, None, request.doc_id),
            (None, request.split, request.doc_id),
            (None, None, request.doc_id),
        ):
            found = self._table.get(key)
            if found is not None:
                if found.prediction is None:
                    raise MissingPredictionError(
                        f"stored sample {request.task}/{request.split}/{request.doc_id} failed "
                        f"({found.error}); nothing to replay"
                    )
                return found.prediction
        raise MissingPredictionError(
            f"no prediction for {request.task} split {request.split} doc_id {request.doc_id} in {self.source}"
        )


def _prediction_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    if source.is_dir():
        samples = source / "samples" if (source / "samples").is_dir() else source
        files = sorted(samples.glob("*.jsonl"))
        if files:
            return files
        raise SamplesFileError(f"no *.jsonl predictions files in {samples}")
    raise SamplesFileError(f"predictions not found: {source}")


def build_replay(options: ModelOptions) -> ReplayAdapter:
    reject_model_args("replay", options.extra)
    if options.predictions is None:
        raise SamplesFileError(
            "the replay model needs --predictions FILE (a predictions JSONL, a samples/ folder or a run folder)"
        )
    return ReplayAdapter(Path(options.predictions))


REPLAY_ENTRY = register_model(
    ModelEntry(
        name="replay",
        factory=build_replay,
        description="Answers from stored predictions (--predictions); no model is loaded",
        hub_id=None,
        family="replay",
        needs_torch=False,
        loads_weights=False,
    )
)
