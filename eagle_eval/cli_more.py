"""Subcommands beyond the evaluation loop: recording a server's score, the speed benchmark."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def add_more_commands(
    command: Callable[[str, str], argparse.ArgumentParser],
) -> dict[str, argparse.ArgumentParser]:
    record = command(
        "record-server-score",
        "Record the score an evaluation server (EvalAI) returned for a server-scored split into a results file.",
    )
    record.add_argument("results", type=Path, help="the run's results.json (or run folder)")
    record.add_argument("--task", required=True, help="the server-scored task, e.g. vqav2 or vizwiz")
    record.add_argument("--value", required=True, type=float, help="the server's headline in paper units (percent)")
    record.add_argument("--metric", help="the server's metric name (default: the task's headline metric)")
    record.add_argument("--note", help="where the number came from, e.g. the EvalAI submission id")
    record.set_defaults(handler=cmd_record_server_score)

    bench = command(
        "bench",
        "Speed benchmark of the Eagle adapter: batch-1 HF generate vs the batched path (random weights);"
        " its flags: eagle-eval bench --help.",
    )
    bench.set_defaults(handler=lambda args: run_bench([]))
    return {"record-server-score": record, "bench": bench}


def cmd_record_server_score(args: argparse.Namespace) -> int:
    from eagle_eval.cli_commands import out_console
    from eagle_eval.server_scores import record_server_score

    path = args.results / "results.json" if args.results.is_dir() else args.results
    record_server_score(path, args.task, args.value, metric=args.metric, note=args.note)
    out_console.print(f"recorded the server's {args.task} score {args.value} in {path}", markup=False)
    return 0


def run_bench(argv: list[str]) -> int:
    from eagle_eval.model_adapters.eagle.bench import main as bench_main

    bench_main(argv)
    return 0
