"""`--limit` and `--offset`: which docs of a task a run covers, never cutting a scoring unit in half.

`--limit N` takes N docs, `--limit 0.1` a tenth of the task, rounded up as lmms-eval rounds it
(`ceil(docs * fraction)`, of all the task's docs, before the offset); `--offset N` skips the first N
docs, as lmms-eval's `--offset` does. Where a task scores units whole (MME's two questions per
image, MMBench's circular copies), a unit is in the window when its first doc is: the rest of it
comes along wherever it lies, and a unit begun before the offset stays out entirely. So
`--offset 0 --limit 50` and `--offset 50 --limit 50` share no unit and together cover the first 100
docs' units.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Sequence
from typing import Protocol

from eagle_eval.core.records import Doc
from eagle_eval.data.loading import DataError


class ScoringUnits(Protocol):
    """What the window needs of a task (eagle_eval.api.task.Task is one): its name and its scoring units."""

    @property
    def name(self) -> str: ...

    @property
    def scores_units_whole(self) -> bool: ...

    def unit_of(self, doc: Doc) -> Hashable | None: ...


def window_size(limit: int | float | None, n_docs: int) -> int | None:
    """How many docs `--limit` asks for: a count, or a fraction of `n_docs` rounded up; None for all."""
    if limit is None:
        return None
    if isinstance(limit, float) and 0 < limit < 1:
        return math.ceil(n_docs * limit)
    return int(limit)


def select_docs(task: ScoringUnits, docs: Sequence[Doc], limit: int | float | None, offset: int = 0) -> list[Doc]:
    """The docs of the window [offset, offset + limit), widened or narrowed to whole scoring units."""
    docs = list(docs)
    count = window_size(limit, len(docs))
    if count is None and not offset:
        return docs
    if docs and offset >= len(docs):
        raise DataError(f"--offset {offset} skips all {len(docs)} docs of {task.name}; give a smaller offset")
    end = len(docs) if count is None else offset + count
    if not task.scores_units_whole:
        return docs[offset:end]
    first_at: dict[Hashable, int] = {}
    units = [_unit(task, doc) for doc in docs]
    for position, unit in enumerate(units):
        first_at.setdefault(unit, position)
    return [doc for doc, unit in zip(docs, units, strict=True) if offset <= first_at[unit] < end]


def window_reason(limit: int | float | None, offset: int, n_docs: int) -> str:
    """The words a subset's results carry: `--limit 0.1 --offset 20: 35 docs`."""
    flags = [f"--limit {limit}" if limit is not None else "", f"--offset {offset}" if offset else ""]
    return f"{' '.join(flag for flag in flags if flag)}: {n_docs} docs"


def docs_fingerprint(docs: Sequence[Doc]) -> str:
    """Hash of the doc keys scored, so two results over different docs of the same count differ."""
    keys = sorted(f"{doc.split}/{doc.doc_id}" for doc in docs)
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


def _unit(task: ScoringUnits, doc: Doc) -> Hashable:
    unit = task.unit_of(doc)
    return ("doc", doc.key) if unit is None else ("unit", unit)  # a doc without a unit id stands alone
