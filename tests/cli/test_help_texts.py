"""Every command's --help renders, every option has a help text, and each text prints whole.

rich-argparse reads help as console markup unless told not to, which ate `[shape]` from
`models show --help`; argparse %-formats help, which made `eagle-eval --help` crash on "80%-power".
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from eagle_eval.cli import build_parser, main
from eagle_eval.model_adapters.eagle.bench_options import build_parser as bench_parser


def command_parsers() -> Iterator[tuple[list[str], argparse.ArgumentParser]]:
    """(argv prefix, parser) for the program, every command and every nested subcommand."""
    parser, _ = build_parser()

    def walk(prefix: list[str], node: argparse.ArgumentParser):
        yield prefix, node
        for action in node._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    if [*prefix, name] != ["bench"]:
                        yield from walk([*prefix, name], child)

    yield from walk([], parser)
    # `bench` hands all its flags, --help included, to the model family's own parser.
    yield ["bench"], bench_parser()


PARSERS = list(command_parsers())
IDS = [" ".join(prefix) or "eagle-eval" for prefix, _ in PARSERS]


def shown_help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """The help text as argparse expands it (%(default)s, %%), whitespace collapsed."""
    return " ".join(parser._get_formatter()._expand_help(action).split())


def test_the_walk_reaches_every_command_and_the_nested_ones() -> None:
    commands = {" ".join(prefix) for prefix, _ in PARSERS}
    assert {"run", "score", "table", "tasks", "models", "models show", "compare", "power", "bench"} <= commands


@pytest.mark.parametrize(("prefix", "parser"), PARSERS, ids=IDS)
def test_every_option_has_a_help_text(prefix: list[str], parser: argparse.ArgumentParser) -> None:
    missing = [action.option_strings or action.dest for action in parser._actions
               if action.help is None or action.help == argparse.SUPPRESS or not action.help.strip()]
    assert not missing, (prefix, missing)


@pytest.mark.parametrize(("prefix", "parser"), PARSERS, ids=IDS)
def test_each_help_text_prints_whole(prefix: list[str], parser: argparse.ArgumentParser,
                                     capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wrapping only moves line breaks; whitespace is collapsed below
    capsys.readouterr()
    assert main([*prefix, "--help"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    for action in parser._actions:
        assert shown_help(parser, action) in printed, (prefix, action.option_strings or action.dest)
    if parser.description:
        assert " ".join(parser.description.split()) in printed


def test_brackets_in_help_are_text_not_markup(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "show", "--help"]) == 0
    assert "key<TAB>[shape]" in capsys.readouterr().out


def test_bench_help_has_the_style_of_the_other_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--help"]) == 0
    bench = capsys.readouterr().out
    assert main(["table", "--help"]) == 0
    table = capsys.readouterr().out
    for heading in ("Usage: eagle-eval", "Options:"):
        assert heading in bench and heading in table
    assert "--model, --preset NAME" in bench and "(default 64)" in bench


def test_a_bad_bench_flag_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--samples", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--samples" in err and "eagle-eval bench --help" in err
