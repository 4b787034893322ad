"""A published row on the board: its footnote carries its note, and a run meets its own authors' report.

LLaVA's model zoo and Cambrian-1's re-evaluation both report liuhaotian/llava-v1.6-34b, with different
MMMU (51.1 vs 46.7) and MME (1631 vs 1633); the rows say so in their notes, and a run of that
checkpoint is compared with the numbers LLaVA itself published.
"""

from __future__ import annotations

from eagle_eval.results.document import ModelRecord
from eagle_eval.results.reference import load_reference_rows
from eagle_eval.results.reference_match import own_reference
from eagle_eval.results.table_rows import reference_row

CHECKPOINT = "liuhaotian/llava-v1.6-34b"


def test_a_run_of_a_checkpoint_with_two_reports_meets_its_authors_numbers() -> None:
    row = own_reference(ModelRecord(name="hf:" + CHECKPOINT, hub_id=CHECKPOINT))
    assert row is not None
    assert row.reported_by == "LLaVA" and row.label == "LLaVA-NeXT-34B"
    assert row.values["MMMU"] == 51.1 and row.values["MME"] == 1631


def test_the_board_footnote_of_a_published_row_carries_its_note() -> None:
    (cambrian,) = [r for r in load_reference_rows() if r.label == "LLaVA-NeXT-34B (reported by Cambrian-1)"]
    assert cambrian.note  # it names LLaVA's own report of the same checkpoint
    shown = reference_row(cambrian).source
    assert shown.startswith(cambrian.source) and cambrian.note in shown
