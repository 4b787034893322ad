"""`sweep plan FILE`: every (model, task) cell of a sweep file with its state and why, no model loaded.

A table on a terminal, markdown when piped, `--json` for machines (docs/sweeps.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from eagle_eval.cli.common import EXIT_OK, AddCommand, out_console
from eagle_eval.core.help_format import HelpFormatter

_STYLES = {"done": "green", "new": "cyan", "partial": "yellow", "rescore": "magenta", "failed": "red",
           "stale": "red", "unknown": "dim"}


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    sweep = command("sweep", "Run a models × tasks matrix described in a sweep file (docs/sweeps.md).")
    actions = sweep.add_subparsers(dest="sweep_command", metavar="plan", required=True,
                                   help="plan FILE: every cell's state and why (executors and jobs come later)")
    plan = actions.add_parser("plan", help="every cell's state and why, without loading a model",
                              formatter_class=HelpFormatter,
                              description="Every (model, task) cell of the sweep file with its state (new, done, "
                                          "partial, failed, stale, rescore) and the reason, read from the run "
                                          "folders under its output_root; no model is loaded.")
    plan.add_argument("file", type=Path, help="the sweep's YAML file")
    plan.add_argument("--json", action="store_true", help="print the cells as one JSON object")
    plan.set_defaults(handler=cmd_plan)
    return {"sweep": sweep, "sweep plan": plan}


def cmd_plan(args: argparse.Namespace) -> int:
    from eagle_eval.sweep.plan import STATES, plan_sweep
    from eagle_eval.sweep.spec import load_sweep

    sweep = load_sweep(args.file)
    cells = plan_sweep(sweep)
    counts = Counter(cell.state for cell in cells)
    summary = ", ".join(f"{counts[state]} {state}" for state in STATES if counts[state])
    if args.json:
        print(json.dumps({"sweep": str(args.file), "output_root": str(sweep.output_root),
                          "counts": {state: counts[state] for state in STATES},
                          "cells": [cell.to_json() for cell in cells]}, indent=2))
        return EXIT_OK
    headers = ["model", "task", "state", "reason", "run"]
    rows = [[cell.model, cell.task, _state(cell.state, cell.valid, cell.total), cell.reason, cell.run_id]
            for cell in cells]
    if _is_terminal():
        _rich_table(headers, rows)
    else:
        print("| " + " | ".join(headers) + " |")
        print("|" + "---|" * len(headers))
        for row in rows:
            print("| " + " | ".join(text.replace("|", "\\|") for text in row) + " |")
    out_console.print(f"{len(cells)} cell{'' if len(cells) == 1 else 's'}: {summary}", markup=False)
    return EXIT_OK


def _is_terminal() -> bool:
    return sys.stdout.isatty()


def _state(state: str, valid: int, total: int | None) -> str:
    return f"partial {valid}/{total}" if state == "partial" and total is not None else state


def _rich_table(headers: list[str], rows: list[list[str]]) -> None:
    from rich.table import Table

    table = Table(*headers, show_lines=False)
    for row in rows:
        state = row[2].split()[0]
        table.add_row(row[0], row[1], f"[{_STYLES.get(state, '')}]{row[2]}[/]", row[3], row[4])
    out_console.print(table)
