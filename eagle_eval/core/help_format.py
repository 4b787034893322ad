"""The one look of every `--help` the project prints: the CLI's commands and a family's own tools.

rich-argparse colours option names, metavars and `backticks`, but by default also reads help
texts as rich markup, so `key<TAB>[shape]` would print as `key<TAB>`. Our help texts are plain
prose (brackets mean brackets), so markup is off. Model families (the speed benchmark) import this
module rather than the CLI package, which nothing outside eagle_eval.cli may import.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from rich_argparse import RichHelpFormatter


class HelpFormatter(RichHelpFormatter):
    """rich-argparse's layout and colours, with help texts, descriptions and epilogs taken literally."""

    help_markup = False
    text_markup = False


class OneLineErrorParser(argparse.ArgumentParser):
    """A usage mistake is one line naming it and where the flags are listed, and exit 2.

    No prefix matching: an abbreviated flag is a mistake, not a guess.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see: {self.prog} --help)\n")
        raise SystemExit(2)


def help_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A standalone parser (a family's own command) in the style of `eagle-eval`'s commands."""
    return OneLineErrorParser(prog=prog, description=description, formatter_class=HelpFormatter)


def literal_percent(text: str) -> str:
    """argparse %-formats an argument's help (for %(default)s): a plain `80%` must be written `80%%`."""
    return text.replace("%", "%%")
