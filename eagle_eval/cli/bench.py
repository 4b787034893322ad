"""`bench`: the speed benchmark of a model's adapter; it parses its own flags (--help included)."""

from __future__ import annotations

import argparse

from eagle_eval.cli.common import AddCommand


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    bench = command(
        "bench",
        "Speed benchmark of the Eagle adapter: batch-1 HF generate vs the batched path (random weights);"
        " its flags: eagle-eval bench --help.",
    )
    bench.set_defaults(handler=lambda args: run_bench([]))
    return {"bench": bench}


def run_bench(argv: list[str]) -> int:
    from eagle_eval.model_adapters.eagle.bench import main as bench_main

    bench_main(argv)
    return 0
