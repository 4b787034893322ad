"""`bench`: a model's own speed benchmark, reached through its registry entry (ModelCapabilities.bench).

`eagle-eval bench [--model NAME] [FLAGS]`: the flags after the model are the benchmark's own
(`eagle-eval bench --help` shows them); `--preset` is accepted for `--model`. Without a model, the
entry marked `bench_default` runs.
"""

from __future__ import annotations

import argparse

from eagle_eval.cli.common import AddCommand, UsageError


def add_commands(command: AddCommand) -> dict[str, argparse.ArgumentParser]:
    bench = command(
        "bench",
        "Speed benchmark of a model's adapter (Eagle: batch-1 HF generate vs the batched path, random weights);"
        " eagle-eval bench [--model NAME] --help shows its flags.",
    )
    bench.set_defaults(handler=lambda args: run_bench([]))
    return {"bench": bench}


def run_bench(argv: list[str]) -> int:
    from eagle_eval.api.registry import get_model_entry, model_entries

    picker = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    picker.add_argument("--model", "--preset", dest="model")
    known, rest = picker.parse_known_args(argv)
    offering = [entry for entry in model_entries() if entry.capabilities.bench is not None]
    if known.model is not None:
        entry = get_model_entry(known.model)
    else:
        defaults = [entry for entry in offering if entry.capabilities.bench_default]
        if len(defaults) != 1:
            raise UsageError(f"name the model to benchmark with --model; models with a benchmark: "
                             f"{', '.join(e.name for e in offering) or 'none'}")
        entry = defaults[0]
    if entry.capabilities.bench is None:
        raise UsageError(f"model {entry.name} has no speed benchmark; models with one: "
                         f"{', '.join(e.name for e in offering) or 'none'}")
    return entry.capabilities.bench(rest)
