"""The parser and dispatch of `eagle-eval`: every command group adds its subcommands here.

Errors about the user's input are printed as one line and exit 2; anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from eagle_eval.ablation.spec import AblationError
from eagle_eval.api.adapter import AdapterError
from eagle_eval.api.registry import UnknownNameError
from eagle_eval.cli import bench, catalog, compare, lock, report, run, server, sweep, tables
from eagle_eval.cli.common import EXIT_OK, EXIT_USAGE, UsageError, err_console, fail
from eagle_eval.cli.config_file import with_config_file
from eagle_eval.compare.gate import CompareInputError
from eagle_eval.core.help_format import HelpFormatter, literal_percent
from eagle_eval.core.output_files import describe_os_error
from eagle_eval.core.urls import InsecureURLError
from eagle_eval.data.images import ImageDecodeError
from eagle_eval.data.loading import DataError
from eagle_eval.judge.llm_judge import JudgeConfigError
from eagle_eval.provenance.checkpoint import ModelPinError
from eagle_eval.provenance.lockfile import LockError
from eagle_eval.results.document import ResultsError
from eagle_eval.results.samples import SamplesFileError
from eagle_eval.run.distributed import DistributedError
from eagle_eval.run.ownership import RunDirBusyError
from eagle_eval.sweep.spec import ExecutorError, SweepFileError

# The command groups, in the order `eagle-eval --help` lists their commands.
COMMAND_GROUPS = (run, lock, catalog, tables, compare, report, server, sweep, bench)

# Errors about the user's input: one line, exit 2. Anything else is a bug and keeps its traceback.
INPUT_ERRORS: tuple[type[BaseException], ...] = (
    AblationError,
    AdapterError,  # adapters subclass it: a checkpoint that does not fit, a bad --model-arg
    UnknownNameError,
    DataError,
    ResultsError,
    SamplesFileError,
    CompareInputError,
    JudgeConfigError,
    DistributedError,
    RunDirBusyError,
    InsecureURLError,
    LockError,
    ModelPinError,
    ImageDecodeError,
    SweepFileError,
    ExecutorError,
    OSError,
)


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and "did you mean" hints for commands.

    No prefix matching: `--output` for `--output-dir` is an error with a suggestion, not a guess
    (subparsers inherit the class, so every command and `models show` is held to it).
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if match:
            choices = re.findall(r"'([^']*)'", match.group(2))
            close = difflib.get_close_matches(match.group(1), choices, n=3, cutoff=0.5)
            message = f"unknown choice '{match.group(1)}'" + (
                f"; did you mean {', '.join(close)}?" if close else f"; choose from {', '.join(choices)}"
            )
        fail(f"{message} (see: {self.prog} --help)", prog=self.prog)


def build_parser() -> tuple[Parser, dict[str, argparse.ArgumentParser]]:
    parser = Parser(
        prog="eagle-eval",
        description="Evaluate Eagle multimodal LLMs at the paper's protocol.",
        formatter_class=HelpFormatter,
        epilog="Exit codes: 0 ok, 1 regression (compare), 2 usage/input/environment error, 3 run completed with sample errors, "
        "4 incomplete (compare: a baseline task missing from the new run), 130 interrupted (run again to resume).",
    )
    parser.add_argument("--version", action="version", version=f"eagle-eval {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser,
                                help="one of the commands below; eagle-eval COMMAND --help shows its flags")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        # The command list %-formats each command's help; its own page prints the description as is.
        return sub.add_parser(name, help=literal_percent(help_text), description=help_text, formatter_class=HelpFormatter)

    commands: dict[str, argparse.ArgumentParser] = {}
    for group in COMMAND_GROUPS:
        commands.update(group.add_commands(command))
    return parser, commands


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("eagle-eval")
    except PackageNotFoundError:  # a source tree on sys.path without an install
        return "unknown (not installed)"


def _unknown_flags(extras: list[str], command_parser: argparse.ArgumentParser | None, prog: str) -> NoReturn:
    options = [o for action in (command_parser._actions if command_parser else []) for o in action.option_strings]
    hints = []
    for extra in extras:
        flag = extra.split("=", 1)[0]
        close = difflib.get_close_matches(flag, options, n=1, cutoff=0.5) if flag.startswith("-") else []
        hints.append(f"{extra} (did you mean {close[0]}?)" if close else extra)
    fail(f"unrecognized arguments: {', '.join(hints)} (see: {prog} --help)", prog=prog)


def _check_long_flags(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """An unknown `--flag` is named, with its nearest spelling, before argparse would report a missing
    required flag instead (`run --task pope` is a typo of --tasks, not a run without tasks)."""
    known = set(parser._option_string_actions)
    current = parser
    unknown: list[str] = []
    for token in argv:
        if token == "--":
            break
        commands = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if commands and token in commands[0].choices:
            current = commands[0].choices[token]
            known |= set(current._option_string_actions)
        elif token.startswith("--") and token.split("=", 1)[0] not in known:
            unknown.append(token)
    if unknown:
        _unknown_flags(unknown, current, current.prog)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (errors on input are printed as one line)."""
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE


def _dispatch(argv: list[str]) -> int:
    parser, commands = build_parser()
    if argv[:1] == ["bench"]:
        # The benchmark parses its own flags, --help included.
        return _guarded(lambda: bench.run_bench(argv[1:]))
    argv = _guarded_argv(lambda: with_config_file(argv, commands["run"]))  # run --config FILE
    _check_long_flags(parser, argv)
    args, extras = parser.parse_known_args(argv)
    if extras:
        command_parser = commands.get(getattr(args, "command", ""))
        _unknown_flags(extras, command_parser, command_parser.prog if command_parser else parser.prog)
    args.argv = argv
    return _guarded(lambda: args.handler(args))


def _guarded_argv(expand) -> list[str]:
    try:
        return expand()
    except UsageError as err:
        fail(str(err))


def _guarded(handler) -> int:
    try:
        return int(handler())
    except BrokenPipeError:
        # `eagle-eval ... | head`: the reader has what it wanted. Point stdout at /dev/null so the
        # interpreter's final flush does not fail again, and end quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except UsageError as err:
        fail(str(err))
    except OSError as err:  # a file or folder of the user's: name it, and the fix
        fail(describe_os_error(err))
    except Exception as err:
        if not _is_input_error(err):
            raise
        fail(str(err) or type(err).__name__)
    except KeyboardInterrupt:
        err_console.print("eagle-eval: interrupted; run the same command again to resume", markup=False)
        return 130


def _is_input_error(error: BaseException) -> bool:
    return isinstance(error, INPUT_ERRORS)
