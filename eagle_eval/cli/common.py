"""What every command module shares: exit codes, consoles, the usage error, flag types.

A leaf of the CLI package: command modules import it, it imports none of them.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import NoReturn

from rich.console import Console

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
EXIT_SAMPLE_ERRORS = 3

out_console = Console(highlight=False, soft_wrap=True)
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


def finite_float(text: str) -> float:
    """float() without nan and inf, which would pass every comparison check and fail later, deep inside."""
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from err
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


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


def device_name(text: str) -> str:
    """A torch device string that names a device this machine has, checked before any model loads."""
    kind, _, index = text.partition(":")
    if kind == "gpu":
        raise argparse.ArgumentTypeError(f"unknown device {text!r}; NVIDIA GPUs are 'cuda' (or 'cuda:N'), or use 'cpu'")
    if kind not in ("cpu", "cuda", "mps", "xpu") or (index and not index.isdigit()):
        raise argparse.ArgumentTypeError(f"unknown device {text!r}; use cpu, cuda, cuda:N or mps")
    if kind == "cpu":
        return text
    import torch  # only for accelerator names: listing commands and the CPU path stay light

    backend = getattr(torch, kind, None)
    count = backend.device_count() if backend is not None and backend.is_available() else 0
    if count == 0:
        raise argparse.ArgumentTypeError(f"'{text}': this machine has no {kind} device; use --device cpu")
    if index and int(index) >= count:
        raise argparse.ArgumentTypeError(f"'{text}': only {count} {kind} device(s), numbered 0 to {count - 1}")
    return text


def batch_size(text: str) -> int | str:
    return "auto" if text == "auto" else positive_int(text)


def progress_enabled(args: argparse.Namespace) -> bool:
    return not args.no_progress and sys.stderr.isatty()
