"""What every command module shares: exit codes, consoles, the usage error, flag types.

A leaf of the CLI package: command modules import it, it imports none of them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from rich.console import Console

from eagle_eval.core.option_types import device_name, finite_float  # noqa: F401 - the command modules take them from here

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
EXIT_SAMPLE_ERRORS = 3
EXIT_INCOMPLETE = 4  # compare: a baseline task is missing from the new run, so it was never checked



class _StdoutConsole(Console):
    """Rich ends the process with exit 1 when stdout's reader goes away (`eagle-eval tasks | head`), and
    exit 1 means "regression" to a CI script: the broken pipe goes to the CLI's quiet exit 0 instead."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


out_console = _StdoutConsole(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

# How a command module adds a subcommand: command(name, help) -> its parser.
AddCommand = Callable[[str, str], argparse.ArgumentParser]


class UsageError(Exception):
    """A command-line mistake found after parsing (exit 2)."""


def fail(message: str, prog: str = "eagle-eval") -> NoReturn:
    """Print one line naming the problem and exit 2."""
    err_console.print(f"{prog}: error: {' '.join(message.split())}", markup=False)
    raise SystemExit(EXIT_USAGE)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from err
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def int_between(low: int, high: int, what: str = "") -> Callable[[str], int]:
    """An argparse type: an integer from low to high (a bound stops a value no model could use early)."""
    why = f" ({what})" if what else ""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"expected an integer from {low} to {high}, got {text!r}") from err
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected an integer from {low} to {high}{why}, got {text!r}")
        return value

    return parse


def key_value(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


DTYPE_NAMES = ("auto", "fp16", "float16", "bf16", "bfloat16", "fp32", "float32")


def dtype_name(text: str) -> str:
    if text not in DTYPE_NAMES:
        raise argparse.ArgumentTypeError(f"unknown dtype {text!r}; use one of {', '.join(DTYPE_NAMES)}")
    return text


def batch_size(text: str) -> int | str:
    return "auto" if text == "auto" else positive_int(text)


def progress_enabled(args: argparse.Namespace) -> bool:
    return not args.no_progress and sys.stderr.isatty()
