"""Which published row is a run's own: the one rule `table`'s Δ rows and `report`'s paper column share."""

from __future__ import annotations

from eagle_eval.api.registry import UnknownNameError
from eagle_eval.results.document import ModelRecord
from eagle_eval.results.reference import ReferenceRow, select_references


def own_reference(model: ModelRecord) -> ReferenceRow | None:
    """The published row of the run's own model, or None.

    Matched on the registered name (`eagle-x5-7b` is `Eagle-X5-7B`, `llava-1.5-7b` is `LLaVA-1.5-7B`),
    then on the checkpoint's hub id where the published rows name one. Where one checkpoint has
    several reports (LLaVA's own numbers for llava-v1.6-34b and Cambrian-1's re-evaluation), the row
    its own authors published comes first; otherwise the first, as the files list them.
    """
    for name in (model.name, model.hub_id):
        if not name or "," in name or name.strip().lower() == "all":
            continue
        try:
            rows = select_references(name)
        except UnknownNameError:
            continue
        if rows:
            return sorted(rows, key=lambda row: "(reported by " in row.label)[0]  # stable: file order otherwise
    return None
