"""The board's files: the leaderboard in every format, GPU-hours per model, a report per model, an index.

    <output>/board.md  board.html  board.json  board.csv  board.tex   the leaderboard (eagle_eval.sweep.board)
    <output>/gpu_hours.md                                                measured GPU-hours per model
    <output>/reports/<run_id>.html                                       `eagle-eval report` of each run
    <output>/index.html                                                  links to all of them, and the cells not done

<output> is <output_root>/board unless given. Every file is written whole; a report that cannot be
built (a run folder without samples) is named in the index with its reason instead of stopping the board.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from tabulate import tabulate

from eagle_eval.core.output_files import write_text_atomic
from eagle_eval.results.tables import FORMATS, render_table
from eagle_eval.sweep.board import SweepBoard, build_sweep_board
from eagle_eval.sweep.spec import Sweep
from eagle_eval.sweep.status import sweep_status

_SUFFIX = {"markdown": "md", "latex": "tex"}


@dataclass
class PublishedBoard:
    board: SweepBoard
    folder: Path
    markdown: str
    json_text: str
    index: Path


def publish_board(sweep: Sweep, output: Path | None = None) -> PublishedBoard:
    folder = output or sweep.output_root / "board"
    folder.mkdir(parents=True, exist_ok=True)
    board = build_sweep_board(sweep, sweep_status(sweep))
    texts = {fmt: render_table(board.rows, fmt, board.ranking) for fmt in FORMATS}
    for fmt, text in texts.items():
        write_text_atomic(folder / f"board.{_SUFFIX.get(fmt, fmt)}", text)
    hours = gpu_hours_table(board)
    write_text_atomic(folder / "gpu_hours.md", hours)
    reports = _reports(board, folder / "reports")
    index = folder / "index.html"
    write_text_atomic(index, _index(sweep, board, reports))
    markdown = texts["markdown"] + "\n" + hours + _incomplete_lines(board)
    as_json = json.loads(texts["json"])
    as_json["gpu_hours"] = {model: round(value, 4) for model, value in board.gpu_hours.items()}
    as_json["job_hours"] = {model: round(value, 5) for model, value in board.job_hours.items()}
    as_json["cells_not_done"] = [cell.to_json() for cell in board.incomplete]
    return PublishedBoard(board, folder, markdown, json.dumps(as_json, indent=2), index)


def gpu_hours_table(board: SweepBoard) -> str:
    rows = [[model, f"{hours:.3f}", f"{board.job_hours[model]:.4f}"] for model, hours in board.gpu_hours.items()]
    return tabulate(rows, headers=["Model", "GPU-hours (measured)", "job hours (wall)"], tablefmt="github",
                    disable_numparse=True) + "\n"


def _incomplete_lines(board: SweepBoard) -> str:
    if not board.incomplete:
        return ""
    lines = ["", "Cells not done (empty on the board):"]
    lines += [f"- {cell.cell.model} / {cell.cell.task}: {cell.state} — {cell.reason}" for cell in board.incomplete]
    return "\n".join(lines) + "\n"


def _reports(board: SweepBoard, folder: Path) -> dict[str, tuple[Path | None, str]]:
    """Each model's report page, or why there is none."""
    from eagle_eval.report import build_report, render_html

    folder.mkdir(parents=True, exist_ok=True)
    done: dict[str, tuple[Path | None, str]] = {}
    for model, run_dir in board.run_dirs.items():
        path = folder / f"{run_dir.name}.html"
        try:
            write_text_atomic(path, render_html(build_report(run_dir)))
        except (OSError, ValueError) as err:
            done[model] = (None, str(err).splitlines()[0] if str(err) else type(err).__name__)
        else:
            done[model] = (path, "")
    return done


def _index(sweep: Sweep, board: SweepBoard, reports: dict[str, tuple[Path | None, str]]) -> str:
    esc = html.escape
    items = []
    for model, hours in board.gpu_hours.items():
        path, why = reports.get(model, (None, "no results yet"))
        link = f'<a href="reports/{esc(path.name)}">report</a>' if path else esc(why)
        items.append(f"<tr><td>{esc(model)}</td><td>{hours:.3f}</td><td>{board.job_hours[model]:.4f}</td>"
                     f"<td>{link}</td></tr>")
    missing = "".join(f"<li>{esc(c.cell.model)} / {esc(c.cell.task)}: {esc(c.state)} — {esc(c.reason)}</li>"
                      for c in board.incomplete)
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>Sweep board</title></head><body>"
            f"<h1>Sweep {esc(sweep.path.name)}</h1>"
            '<p><a href="board.html">Leaderboard</a> · <a href="board.md">markdown</a> · '
            '<a href="board.csv">CSV</a> · <a href="board.tex">LaTeX</a> · <a href="board.json">JSON</a></p>'
            "<table><tr><th>Model</th><th>GPU-hours</th><th>job hours</th><th>Report</th></tr>" + "".join(items) + "</table>"
            + (f"<h2>Cells not done</h2><ul>{missing}</ul>" if missing else "") + "</body></html>\n")
