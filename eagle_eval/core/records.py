"""Records that cross module boundaries: docs, requests to a model, per-sample scores.

These are the stable contracts between tasks, the runner, metrics and model adapters
(docs/interfaces.md). This module is a leaf: it imports nothing from eagle_eval, so metrics, the
judge and the runner can use the records without importing the task contract.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from PIL import Image

IMAGE_PLACEHOLDER = "<image>"


@dataclass(frozen=True)
class GenerationSettings:
    """How a model decodes one request: greedily, as the paper's harness did (temperature 0), unless
    `--gen-kwargs` asks for sampling (eagle_eval.generation.gen_kwargs).

    `until` lists stop strings. The paper's harness ignored them (generation ended at EOS or
    max_new_tokens), so tasks leave it empty unless they say otherwise. With `temperature` > 0 the
    answer is sampled, filtered by `top_p` (1 = off) and `top_k` (0 = off), from a random generator
    seeded with `seed` (the sample's own).
    """

    max_new_tokens: int = 1024
    until: tuple[str, ...] = ()
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int | None = None

    @property
    def sampling(self) -> bool:
        return self.temperature > 0

    def to_json(self) -> dict[str, Any]:
        # The sampling keys only when sampling, so greedy requests keep the fingerprints they had.
        greedy = {"max_new_tokens": self.max_new_tokens, "until": list(self.until)}
        if not self.sampling:
            return greedy
        return {**greedy, "temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k, "seed": self.seed}


@dataclass
class Request:
    """One prompt for a model: the user-turn text and its images.

    `text` is the task's text only; the adapter adds its conversation template. When `text` holds
    `<image>` placeholders, each takes the next image in `images` (their counts match: `Task.build_request`
    checks it); when it holds none, the adapter places the images as its model expects (Eagle: one
    `<image>\\n` prefix). A literal `<image>` in the dataset's own text is such a placeholder too, as
    in the authors' harness; `dataset_image_markers` counts them, so the sample records it.
    """

    task: str
    split: str
    doc_id: int
    text: str
    images: list[Image.Image]
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    dataset_image_markers: int = 0

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.task, self.split, self.doc_id)

    def prompt_fingerprint(self) -> str:
        """Hash of everything about the request that changes a prediction, images included."""
        digest = hashlib.sha256()
        digest.update(json.dumps([self.text, self.generation.to_json()]).encode())
        for image in self.images:
            digest.update(f"{image.mode}{image.size}".encode())
            digest.update(image.tobytes())
        return digest.hexdigest()[:16]


@dataclass(frozen=True)
class ModelInfo:
    """What results.json records about the model that produced the predictions."""

    name: str
    hub_id: str | None = None
    revision: str | None = None
    dtype: str | None = None
    device: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Choices besides the dtype that change the predictions (e.g. Eagle's input truncation); they enter
    # the fingerprint when present, so a resumed run never mixes predictions made under different ones.
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def fingerprint(self) -> str:
        fields: list[Any] = [self.name, self.hub_id, self.revision, self.dtype]
        if self.settings:
            fields.append(self.settings)
        payload = json.dumps(fields, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass
class SampleScore:
    """A task's verdict on one prediction.

    `values` holds the per-sample numbers the aggregation reads (for example {"accuracy": 1.0}).
    `extraction` names the path that turned the raw text into an answer: "rule", "judge",
    "unresolved", "fallback" (a deterministic guess, counted so that nothing falls back silently), or
    "judge_failed" (the rules could not read it and the judge did not answer: wrong, and named by the run).
    """

    values: dict[str, Any]
    extraction: str = "rule"
    parsed: Any = None


@dataclass
class Doc:
    """One row of a task's data. `doc_id` is the 0-based row index within `split` as loaded."""

    split: str
    doc_id: int
    row: dict[str, Any]

    @property
    def key(self) -> tuple[str, int]:
        return (self.split, self.doc_id)


@dataclass
class ScoredDoc:
    doc: Doc
    prediction: str
    score: SampleScore


class JudgeUnavailable(RuntimeError):
    """Raised by a judge client that is not configured or did not answer within its bounds."""
