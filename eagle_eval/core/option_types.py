"""Option types that code outside the command line also parses with (the benchmark's own flags).

A leaf: it imports nothing of eagle_eval, so any module may use it without reaching into the CLI.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path


def finite_float(text: str) -> float:
    """float() without nan and inf, which would pass every comparison check and fail later, deep inside."""
    try:
        value = float(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from err
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


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


# One spelling per idea across commands: `-o/--output FILE` is the file a command writes; `--json` is a
# switch, "print JSON on stdout". Older spellings that took a file keep working (documented as such);
# `<dest>_flag` records the spelling given, for messages about the file.


class JsonSwitch(argparse.Action):
    """`--json`: print JSON on stdout. `--json FILE` (the older spelling of `--output FILE`) still writes FILE."""

    def __init__(self, option_strings: list[str], dest: str, file_dest: str = "output", **kwargs) -> None:
        self.file_dest = file_dest
        super().__init__(option_strings, dest, nargs="?", const=True, default=False, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if values is True:
            setattr(namespace, self.dest, True)
        else:
            setattr(namespace, self.file_dest, Path(str(values)))
            setattr(namespace, f"{self.file_dest}_flag", option_string)


class OlderOutputSpelling(argparse.Action):
    """An older flag for `--output FILE` (the benchmark's `--json FILE`): stores the path in `dest`."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, Path(str(values)))
        setattr(namespace, f"{self.dest}_flag", option_string)
