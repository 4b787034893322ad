"""The leaderboard on a terminal: fitted to its width, never wrapping a line.

Only the columns that have a value are shown (the board's default), labels are shortened to
`LABEL_WIDTH` characters (the full ones are in every file format), and the layout is the first that
fits: the board as it is, then transposed (one line per column, one column per row of the board),
then one block per row. Notes are wrapped at word boundaries. Output that is not a terminal gets
the full markdown table instead (eagle_eval/cli/tables.py), never cut.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from eagle_eval.results.table_rows import TableRow, cells, columns_of, rank_text, score_text

LABEL_WIDTH = 24


def short(label: str, width: int = LABEL_WIDTH) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def render_terminal(rows: Sequence[TableRow], notes: Sequence[str], width: int) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None, soft_wrap=False)
    unbounded = Console(file=io.StringIO(), width=100_000, color_system=None)  # measures a layout's natural width
    for table in _layouts(rows):
        if unbounded.measure(table).maximum <= width:
            console.print(table)
            break
    else:
        for block in _blocks(rows, width):
            console.print(block, markup=False, highlight=False)
    for note in notes:
        console.print(note, markup=False, highlight=False)
    return buffer.getvalue()


def _layouts(rows: Sequence[TableRow]) -> list:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    columns = columns_of(rows)
    wide = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("Rank", "Model", "Score", *columns):
        wide.add_column(Text(name), justify="left" if name == "Model" else "right", no_wrap=True)
    for row in rows:
        wide.add_row(*(Text(cell) for cell in (rank_text(row), short(row.label), score_text(row), *cells(row, columns))))
    tall = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    tall.add_column("", no_wrap=True)
    for row in rows:
        tall.add_column(Text(short(row.label, 14)), justify="right", no_wrap=True)
    tall.add_row("Rank", *(Text(rank_text(row)) for row in rows))
    tall.add_row("Score", *(Text(score_text(row)) for row in rows))
    for column in columns:
        tall.add_row(column, *(Text(cells(row, [column])[0]) for row in rows))
    return [wide, tall]


def _blocks(rows: Sequence[TableRow], width: int) -> list[str]:
    """One block per row: its rank, label and score, then `column value` pairs packed into lines of `width`."""
    columns = columns_of(rows)
    blocks = []
    for row in rows:
        head = " ".join(part for part in (rank_text(row), short(row.label), score_text(row)) if part)
        lines = [head]
        line = ""
        for column, cell in zip(columns, cells(row, columns), strict=True):
            if not cell:
                continue
            pair = f"{column} {cell}"
            if line and len(line) + 2 + len(pair) > width:
                lines.append(line)
                line = ""
            line = f"{line}  {pair}" if line else f"  {pair}"
        blocks.append("\n".join([*lines, line] if line else lines))
    return blocks
