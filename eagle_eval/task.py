"""The task contract: where a benchmark's data lives, how a row becomes a request, how it is scored.

A task module in tasks/ subclasses `Task`, sets the class attributes and overrides `prompt`,
`images`, `score` and `aggregate`. Scoring and aggregation are pure: no module-level state, the same
inputs always give the same numbers (docs/interfaces.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Literal

from PIL import Image

from eagle_eval.records import GenerationSettings, Request, SampleScore

Units = Literal["percent", "mme_points", "ocrbench_points"]


@dataclass(frozen=True)
class Source:
    """One hub dataset split a task reads. `revision` pins the dataset repo's commit."""

    repo: str
    config: str | None
    split: str
    revision: str

    def to_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "config": self.config, "split": self.split, "revision": self.revision}


class LazyRow(dict):
    """A dataset row whose image columns are decoded at each access, not when the split is loaded.

    A split of thousands of pictures held decoded would take tens of GB, while Arrow keeps the encoded
    bytes memory-mapped; decoding on use keeps a run's memory flat, and a corrupt picture fails only
    its own sample. Otherwise it behaves as the plain dict `datasets` gives for a row.
    """

    def __init__(self, eager: dict[str, Any], lazy: dict[str, Callable[[], Any]]) -> None:
        super().__init__(eager)
        self._lazy = {key: load for key, load in lazy.items() if key not in eager}

    def __missing__(self, key: str) -> Any:
        if key in self._lazy:
            return self._lazy[key]()
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._lazy

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 (dict.get bypasses __missing__)

    def __setitem__(self, key: str, value: Any) -> None:
        self._lazy.pop(key, None)
        dict.__setitem__(self, key, value)

    def keys(self) -> list[str]:  # type: ignore[override]
        return [*dict.keys(self), *self._lazy]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._lazy)

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return [(key, self[key]) for key in self.keys()]

    def values(self) -> list[Any]:  # type: ignore[override]
        return [self[key] for key in self.keys()]

    def copy(self) -> LazyRow:
        return LazyRow(dict(dict.items(self)), dict(self._lazy))


def _is_image_feature(feature: Any) -> bool:
    import datasets

    if isinstance(feature, datasets.Image):
        return True
    inner = getattr(feature, "feature", None)  # List / Sequence / LargeList of images
    return inner is not None and _is_image_feature(inner)


def lazy_rows(dataset: Any) -> list[LazyRow]:
    """Every row of a `datasets.Dataset`, its image columns left encoded until used."""
    image_columns = [name for name, feature in dataset.features.items() if _is_image_feature(feature)]
    plain = dataset.remove_columns(image_columns) if image_columns else dataset
    loaders = {name: ImageColumn(dataset, name) for name in image_columns}
    return [
        LazyRow(row, {name: partial(column.decode, index) for name, column in loaders.items()})
        for index, row in enumerate(plain)
    ]


class ImageColumn:
    """One image column of a dataset, decoded row by row on demand.

    Decoding goes through `eagle_eval.images.decode_image` (full decode, pixel limit), so an
    undecodable, truncated or oversized picture raises ImageDecodeError for its own sample only.
    """

    def __init__(self, dataset: Any, name: str) -> None:
        self.name = name
        # The arrow format hands back the stored {bytes, path} without decoding.
        self._encoded = dataset.select_columns([name]).with_format("arrow")

    def decode(self, index: int) -> Any:
        value = self._encoded[index].column(self.name)[0].as_py()
        return _decode_cell(value, f"column {self.name!r} of row {index}")


def _decode_cell(value: Any, where: str) -> Any:
    from eagle_eval.images import decode_image

    if value is None:
        return None
    if isinstance(value, list):
        return [_decode_cell(item, f"{where}[{i}]") for i, item in enumerate(value)]
    source = value.get("bytes") or value.get("path")
    if source is None:
        return None
    return decode_image(source, where=where)


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


class Task:
    """Base class of every benchmark. Subclasses are declarative where they can be."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    paper_column: ClassVar[str | None] = None
    # True for the variant that follows the paper exactly (split, prompt); variants such as a local
    # validation split or a no-OCR prompt set it False and fill the paper column only, marked, when
    # the paper-protocol task has no value.
    paper_protocol: ClassVar[bool] = True
    headline_metric: ClassVar[str]
    units: ClassVar[Units] = "percent"
    sources: ClassVar[tuple[Source, ...]]
    generation: ClassVar[GenerationSettings] = GenerationSettings()
    required_columns: ClassVar[tuple[str, ...]] = ()
    server_scored: ClassVar[bool] = False
    # True when load_docs keeps only some rows of a split (doc ids keep their split index, with gaps):
    # predictions for the rows left out (an lmms-eval log of the whole split) are skipped, not rejected.
    filters_rows: ClassVar[bool] = False
    uses_judge: ClassVar[bool] = False

    # --- data -----------------------------------------------------------------------------------
    def load_docs(self, data_root: Path | None = None) -> list[Doc]:
        """All rows of every source, in order, each numbered within its own split."""
        from eagle_eval.data import load_source

        docs: list[Doc] = []
        for source in self.sources:
            dataset = load_source(source, data_root, required_columns=self.required_columns)
            docs.extend(self.docs_from_dataset(source, dataset, data_root))
        return docs

    def docs_from_dataset(self, source: Source, dataset: Any, data_root: Path | None) -> list[Doc]:
        return [Doc(split=source.split, doc_id=i, row=row) for i, row in enumerate(lazy_rows(dataset))]

    # --- requests -------------------------------------------------------------------------------
    def prompt(self, doc: Doc) -> str:
        raise NotImplementedError

    def images(self, doc: Doc) -> list[Image.Image]:
        raise NotImplementedError

    def generation_for(self, doc: Doc) -> GenerationSettings:
        return self.generation

    def build_request(self, doc: Doc) -> Request:
        return Request(
            task=self.name,
            split=doc.split,
            doc_id=doc.doc_id,
            text=self.prompt(doc),
            images=self.images(doc),
            generation=self.generation_for(doc),
        )

    # --- scoring --------------------------------------------------------------------------------
    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        raise NotImplementedError

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        raise NotImplementedError

    def to_paper_units(self, metrics: dict[str, Any]) -> float | None:
        """The headline in the units the paper prints (percent, MME points, OCRBench points)."""
        value = metrics.get(self.headline_metric)
        if value is None:
            return None
        return float(value) * 100.0 if self.units == "percent" else float(value)

    def write_submission(self, scored: Sequence[ScoredDoc], path: Path) -> Path | None:
        """Server-scored splits write the evaluation server's file here; others write nothing."""
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "paper_column": self.paper_column,
            "paper_protocol": self.paper_protocol,
            "headline_metric": self.headline_metric,
            "units": self.units,
            "sources": [s.to_json() for s in self.sources],
            "generation": self.generation.to_json(),
            "server_scored": self.server_scored,
            "uses_judge": self.uses_judge,
        }
