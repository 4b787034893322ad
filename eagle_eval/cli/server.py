"""`record-server-score`: file the score an evaluation server returned into a results file."""

from __future__ import annotations

import argparse
from pathlib import Path

from eagle_eval.cli.common import EXIT_OK, AddCommand, finite_float, out_console


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    record = command(
        "record-server-score",
        "Record the score an evaluation server (EvalAI) returned for a server-scored split into a results file.",
    )
    record.add_argument("results", type=Path, help="the run's results.json (or run folder)")
    record.add_argument("--task", required=True, help="the server-scored task, e.g. vqav2 or vizwiz")
    record.add_argument("--value", required=True, type=finite_float, help="the server's headline in paper units (percent)")
    record.add_argument("--metric", help="the server's metric name (default: the task's headline metric)")
    record.add_argument("--note", help="where the number came from, e.g. the EvalAI submission id")
    record.set_defaults(handler=cmd_record_server_score)
    return {"record-server-score": record}


def cmd_record_server_score(args: argparse.Namespace) -> int:
    from eagle_eval.results.server_scores import record_server_score

    path = args.results / "results.json" if args.results.is_dir() else args.results
    record_server_score(path, args.task, args.value, metric=args.metric, note=args.note)
    out_console.print(f"recorded the server's {args.task} score {args.value} in {path}", markup=False)
    return EXIT_OK
