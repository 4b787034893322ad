"""`sweep plan|run|status|board FILE`: a models × tasks matrix from a sweep file (docs/sweeps.md).

plan: every cell's state and why, and the jobs a run would submit with their predicted GPU-hours;
run: submit those jobs (the local queue runs here; Slurm with --wait is waited for), then the board;
status: the matrix with running and pending cells; board: the leaderboard, GPU-hours, reports.
Tables on a terminal, markdown when piped, `--json` for machines.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from eagle_eval.cli.common import EXIT_OK, AddCommand, out_console
from eagle_eval.cli.sweep_views import print_cells, print_jobs
from eagle_eval.core.help_format import HelpFormatter
from eagle_eval.sweep.spec import Sweep

_ACTIONS = {
    "plan": "every cell's state and why, and the jobs a run would submit, without loading a model",
    "run": "submit the jobs for every cell that is not done; the local queue runs here",
    "status": "the matrix: done, running, pending, partial, failed with reason, stale",
    "board": "the leaderboard of the sweep's runs, GPU-hours per model, a report per model and an index page",
}


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    sweep = command("sweep", "Run a models × tasks matrix described in a sweep file (docs/sweeps.md).")
    actions = sweep.add_subparsers(dest="sweep_command", metavar="{plan,run,status,board}", required=True,
                                   help="; ".join(f"{name}: {text}" for name, text in _ACTIONS.items()))
    parsers = {}
    for name, text in _ACTIONS.items():
        parser = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".",
                                    formatter_class=HelpFormatter)
        parser.add_argument("file", type=Path, help="the sweep's YAML file")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parsers[f"sweep {name}"] = parser
    parsers["sweep run"].add_argument("--wait", action="store_true",
                                      help="with executor kind slurm: wait for the jobs to end, then print the board")
    parsers["sweep board"].add_argument("-o", "--output", type=Path, default=None,
                                        help="folder for board.{md,html,json,csv,tex}, a report per model and "
                                             "index.html (default: <output_root>/board)")
    parsers["sweep plan"].set_defaults(handler=cmd_plan)
    parsers["sweep run"].set_defaults(handler=cmd_run)
    parsers["sweep status"].set_defaults(handler=cmd_status)
    parsers["sweep board"].set_defaults(handler=cmd_board)
    return {"sweep": sweep, **parsers}


def cmd_plan(args: argparse.Namespace) -> int:
    from eagle_eval.sweep.launch import plan_jobs
    from eagle_eval.sweep.plan import STATES
    from eagle_eval.sweep.spec import load_sweep

    sweep = load_sweep(args.file)
    planned = plan_jobs(sweep)
    counts = Counter(cell.state for cell in planned.cells)
    if args.json:
        print(json.dumps({"sweep": str(args.file), "output_root": str(sweep.output_root),
                          "counts": {state: counts[state] for state in STATES},
                          "cells": [cell.to_json() for cell in planned.cells],
                          "jobs": [job.to_json() for job in planned.jobs],
                          "predicted_gpu_hours": round(planned.predicted_gpu_hours, 3)}, indent=2))
        return EXIT_OK
    print_cells([(cell.model, cell.task, cell.state, cell.valid, cell.total, cell.reason, cell.run_id)
                 for cell in planned.cells], STATES)
    print_jobs(planned.jobs, planned.predicted_gpu_hours, sweep.executor.gpus_per_job)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from eagle_eval.sweep.launch import launch
    from eagle_eval.sweep.spec import load_sweep

    sweep = load_sweep(args.file)
    done = launch(sweep, wait=args.wait)
    summary = {"jobs": [job.to_json() | {"job_file": str(files.spec), "state": done.statuses.get(str(files.spec))}
                        for job, files in zip(done.jobs, done.files, strict=False)],
               "scheduler_ids": done.scheduler_ids, "predicted_gpu_hours": round(done.predicted_gpu_hours, 3)}
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not done.jobs:
        out_console.print("every cell is done or held by a running job; nothing to submit", markup=False)
    else:
        ended = Counter(done.statuses.values())
        where = f" as Slurm jobs {', '.join(done.scheduler_ids)}" if done.scheduler_ids else ""
        out_console.print(f"{len(done.jobs)} job(s) submitted{where}: "
                          + ", ".join(f"{n} {state}" for state, n in sorted(ended.items())), markup=False)
    if sweep.executor.kind == "local" or args.wait:
        return _board(sweep, None, quiet=args.json)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from eagle_eval.sweep.spec import load_sweep
    from eagle_eval.sweep.status import STATUS_STATES, sweep_status

    sweep = load_sweep(args.file)
    cells = sweep_status(sweep)
    if args.json:
        counts = Counter(cell.state for cell in cells)
        print(json.dumps({"sweep": str(args.file), "counts": {s: counts[s] for s in STATUS_STATES},
                          "cells": [cell.to_json() for cell in cells]}, indent=2))
        return EXIT_OK
    print_cells([(c.cell.model, c.cell.task, c.state, c.valid, c.total,
                  c.reason + (f"; {c.samples_per_second:.2f} samples/s" if c.samples_per_second else ""),
                  c.cell.run_id) for c in cells], STATUS_STATES)
    return EXIT_OK


def cmd_board(args: argparse.Namespace) -> int:
    from eagle_eval.sweep.spec import load_sweep

    return _board(load_sweep(args.file), args.output, as_json=args.json)


def _board(sweep: Sweep, output: Path | None, quiet: bool = False, as_json: bool = False) -> int:
    from eagle_eval.sweep.publish import publish_board

    published = publish_board(sweep, output)
    if as_json:
        print(published.json_text)
    elif not quiet:
        print(published.markdown)
        out_console.print(f"board: {published.index}", markup=False)
    return EXIT_OK
