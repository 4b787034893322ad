"""The task contract: where a benchmark's data lives, how a row becomes a request, how it is scored.

A task module in tasks/ subclasses `Task`, sets the class attributes and overrides `prompt`,
`images`, `score` and `aggregate`. Scoring and aggregation are pure: no module-level state, the same
inputs always give the same numbers (docs/interfaces.md).

This module is also the task author's one import: the records a task handles (`Doc`, `ScoredDoc`,
`Source`, lazy rows, `JudgeUnavailable`) live in leaf modules and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from PIL import Image

from eagle_eval.core.records import (
    IMAGE_PLACEHOLDER,
    Doc,
    GenerationSettings,
    JudgeUnavailable,
    Request,
    SampleScore,
    ScoredDoc,
)
from eagle_eval.core.units import Units, unit_of
from eagle_eval.data.loading import Source, load_source
from eagle_eval.data.rows import ImageColumn, LazyRow, lazy_rows
from eagle_eval.stats.statistics import MeanOf, Statistic

__all__ = [
    "Doc",
    "ImageColumn",
    "JudgeUnavailable",
    "LazyRow",
    "ScoredDoc",
    "Source",
    "Task",
    "Units",
    "lazy_rows",
]


def dataset_image_markers(row: dict[str, Any]) -> int:
    """How many literal `<image>` a row's text columns hold (image columns are not decoded)."""
    count = 0
    for value in dict.values(row):  # the plain values: a LazyRow's images stay encoded
        texts = value if isinstance(value, list) else [value]
        count += sum(text.count(IMAGE_PLACEHOLDER) for text in texts if isinstance(text, str))
    return count


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
    # The unit questions share, for standard errors: the row column naming it (an image id). None
    # when every question stands alone. docs/statistics.md gives each task's choice and why.
    cluster_key: ClassVar[str | None] = None
    # True when the aggregate needs every doc of a unit (MME's two questions per image, MMBench's
    # circular copies): `--limit` takes whole units, and a row that cannot be scored takes its unit
    # out of the aggregate.
    scores_units_whole: ClassVar[bool] = False
    # How the headline follows from per-sample scores; None means the mean of the per-sample value
    # named like the headline. `extra_statistics` adds error bars to other mean metrics.
    headline_statistic: ClassVar[Statistic | None] = None
    extra_statistics: ClassVar[tuple[tuple[str, Statistic], ...]] = ()

    # --- data -----------------------------------------------------------------------------------
    def load_docs(self, data_root: Path | None = None) -> list[Doc]:
        """All rows of every source, in order, each numbered within its own split."""
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
        """The request of a doc; every `<image>` of its text takes one image, whoever wrote it.

        One rule for every task and adapter (docs/footguns.md): a literal `<image>` in the dataset's
        text is an image slot, as the authors' lmms-eval wrapper treats it (it adds its own image
        prefix only when the text holds none), so prompts match the paper's harness. The sample
        records how many came from the dataset (`notes.dataset_image_markers`). When the slots and
        the images differ in number the request is refused, and that sample fails with the reason.
        """
        text, images = self.prompt(doc), self.images(doc)
        slots = text.count(IMAGE_PLACEHOLDER)
        from_dataset = dataset_image_markers(doc.row)
        if slots and slots != len(images):
            origin = f", {from_dataset} of them in the dataset's own text" if from_dataset else ""
            raise ValueError(
                f"the prompt holds {slots} '{IMAGE_PLACEHOLDER}' image slot(s){origin} but the row has "
                f"{len(images)} image(s); every '{IMAGE_PLACEHOLDER}' in a prompt takes one image"
            )
        return Request(
            task=self.name,
            split=doc.split,
            doc_id=doc.doc_id,
            text=text,
            images=images,
            generation=self.generation_for(doc),
            dataset_image_markers=min(from_dataset, slots),
        )

    # --- scoring --------------------------------------------------------------------------------
    def score(self, doc: Doc, prediction: str, judge: Any = None) -> SampleScore:
        raise NotImplementedError

    def aggregate(self, scored: Sequence[ScoredDoc]) -> dict[str, Any]:
        raise NotImplementedError

    def unit_of(self, doc: Doc) -> str | None:
        """`cluster_of`, or None when the row does not name its unit (a null or missing id)."""
        try:
            if self.cluster_key is not None and doc.row[self.cluster_key] is None:
                return None
            return self.cluster_of(doc)
        except Exception:
            return None

    def limit_docs(self, docs: Sequence[Doc], limit: int) -> list[Doc]:
        """The first `limit` docs, plus the rest of every unit they touch when units score whole.

        MME scores an image by its two questions and MMBench a question by all its circular copies,
        so `--limit` never cuts a unit in half (which would change acc+ or circular accuracy).
        """
        from eagle_eval.data.window import select_docs  # the one rule, shared with --offset and fractions

        return select_docs(self, docs, limit)

    def cluster_of(self, doc: Doc) -> str:
        """The unit a doc belongs to: its `cluster_key` value, or the doc itself (also when the
        value is null: rows without an id must not all fall into one unit)."""
        value = None if self.cluster_key is None else doc.row[self.cluster_key]
        return f"{doc.split}/{doc.doc_id}" if value is None else str(value)

    def statistics(self) -> dict[str, Statistic]:
        """Metric name → how it follows from per-sample scores (the headline first)."""
        headline = self.headline_statistic or MeanOf(self.headline_metric)
        return {self.headline_metric: headline, **dict(self.extra_statistics)}

    def statistic_columns(self) -> tuple[str, ...]:
        """Dataset columns the statistics read, kept beside each score so a scores file suffices."""
        return tuple(sorted({column for stat in self.statistics().values() for column in stat.columns}))

    def to_paper_units(self, metrics: dict[str, Any]) -> float | None:
        """The headline in the units the paper prints (percent, MME points, OCRBench points)."""
        value = metrics.get(self.headline_metric)
        return None if value is None else unit_of(self.units).to_paper(float(value))

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
            "cluster_key": self.cluster_key,
        }
