"""The flags of `run` that people moving from lmms-eval reach for (docs/lmms-eval.md maps them all):
--limit as a fraction, --offset, --gen-kwargs, --predict-only, --config, --wandb-args, --hub-log-args.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eagle_eval.cli.common import EXIT_USAGE, UsageError, err_console, out_console
from eagle_eval.generation.gen_kwargs import GenKwargs, GenKwargsError, departure_message, parse_gen_kwargs
from eagle_eval.results.document import RunResults
from eagle_eval.run.log import RUN_LOG_FILENAME, warnings_to_log
from eagle_eval.run.loggers import LoggerError, RunLoggers
from eagle_eval.run.predict_only import score_command


def limit_value(text: str) -> int | float:
    """A doc count (an integer >= 1) or a fraction of each task (0 < x < 1), as lmms-eval's --limit."""
    message = f"expected a count of docs (an integer >= 1) or a fraction between 0 and 1, got {text!r}"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(message) from None
    if 0 < value < 1:
        return value
    if value >= 1 and text.strip().isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(message)


def non_negative_int(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return int(text)


def gen_kwargs_value(text: str) -> GenKwargs:
    try:
        return parse_gen_kwargs(text)
    except GenKwargsError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_lmms_eval_flags(run: argparse.ArgumentParser) -> None:
    run.add_argument("--offset", type=non_negative_int, default=0,
                     help="skip each task's first N docs (with --limit: a window; whole MME pairs and MMBench groups)")
    run.add_argument("--gen-kwargs", type=gen_kwargs_value, metavar="KEY=VALUE,...",
                     help="override every task's generation, lmms-eval's syntax: max_new_tokens, temperature, top_p, "
                          "top_k, do_sample, num_beams=1, until; leaves the paper protocol (recorded, in the run id)")
    run.add_argument("--allow-fewer-docs", action="store_true",
                     help="replace a task's stored result with one over fewer docs (a smaller --limit on the same "
                          "run id); refused otherwise")
    run.add_argument("--predict-only", action="store_true",
                     help="generate and write samples/, score nothing (score later: eagle-eval score, or run again "
                          "without it)")
    run.add_argument("--config", metavar="RUN.yaml",
                     help="a YAML mapping of run's flags (tasks: pope, gen_kwargs: {temperature: 0.2}); "
                          "flags on the command line win")
    run.add_argument("--wandb-args", metavar="KEY=VALUE,...",
                     help="log the finished run to Weights & Biases (wandb.init keys, e.g. project=eagle); extra: wandb")
    run.add_argument("--hub-log-args", metavar="KEY=VALUE,...",
                     help="upload results.json and samples to a Hub repo (repo=ORG/NAME, private, path_in_repo, "
                          "samples); extra: hub")


def check_lmms_eval_flags(args: argparse.Namespace) -> RunLoggers:
    """Checks that need more than one flag, before the run; the loggers asked for."""
    if args.gen_kwargs is not None and args.model == "replay":
        raise UsageError("--gen-kwargs cannot change replayed predictions; drop it or run a model")
    try:
        loggers = RunLoggers.check(args.wandb_args, args.hub_log_args)
    except LoggerError as err:
        raise UsageError(str(err)) from None
    if args.gen_kwargs is not None:
        err_console.print(f"eagle-eval: warning: {departure_message(args.gen_kwargs)}", markup=False)
    return loggers


def print_predicted(run: RunResults, run_dir: Path) -> None:
    """After --predict-only: what was generated, and the command that scores it later."""
    for task, record in run.predicted.items():
        out_console.print(
            f"{task}: {record['n_samples']} predictions, not scored (--predict-only); score them with: "
            f"{score_command(task, run_dir / record['samples_file'])}",
            markup=False,
        )


def log_finished_run(loggers: RunLoggers, run: RunResults, run_dir: Path, code: int) -> int:
    """Log to W&B / the Hub where asked; results.json is already written, so a failure loses nothing."""
    try:
        with warnings_to_log(run_dir / RUN_LOG_FILENAME):  # the services' own deprecation notices
            lines = loggers.log(run, run_dir)
        for line in lines:
            out_console.print(line, markup=False)
    except Exception as err:  # noqa: BLE001 - any failure of a third-party service: one line, exit 2
        err_console.print(f"eagle-eval: error: logging the run failed: {type(err).__name__}: {err}; the results "
                          f"are in {run_dir}", markup=False)
        return EXIT_USAGE
    return code
