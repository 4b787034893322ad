"""`run --config run.yaml`: any flags of `run` from a YAML mapping; flags on the command line win.

    model: eagle-x5-7b
    tasks: [textvqa, pope]          # a list or "textvqa,pope"
    limit: 0.1
    gen_kwargs: {temperature: 0.2}  # a mapping or "temperature=0.2"
    model_arg: {truncate_inputs: false}
    no_progress: true

Keys are the flags without their dashes (`gen_kwargs` or `gen-kwargs`). The file becomes command-line
flags placed before the command line's own, so argparse checks every value exactly as it checks
typed ones and the results record one explicit command; a key the command line also gives is dropped
from the file (for repeatable flags too, so `--model-arg` on the command line replaces the file's).
An unknown key, a value of the wrong shape, or a file that is not a YAML mapping: exit 2, naming it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eagle_eval.cli.common import UsageError
from eagle_eval.core.text_input import YamlReadError, read_yaml

CONFIG_FLAG = "--config"


def config_path(argv: Sequence[str]) -> str | None:
    for index, token in enumerate(argv):
        if token == CONFIG_FLAG:
            return argv[index + 1] if index + 1 < len(argv) else None
        if token.startswith(CONFIG_FLAG + "="):
            return token.split("=", 1)[1]
    return None


def with_config_file(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """`run ... --config FILE ...` with the file's flags inserted after `run`; other argv unchanged."""
    path = config_path(argv[1:]) if argv[:1] == ["run"] else None
    if path is None:
        return argv
    settings = _load(Path(path))
    actions = {action.dest: action for action in parser._actions if action.option_strings}
    given = {action.dest for token in argv[1:] if (action := _action_of(token, parser)) is not None}
    tokens: list[str] = []
    for key, value in settings.items():
        dest = str(key).replace("-", "_")
        action = actions.get(dest)
        if action is None or dest in ("help", "config"):
            raise UsageError(f"--config {path}: unknown key '{key}'; keys are run's flags without the dashes "
                             "(tasks, limit, gen_kwargs, ...: see eagle-eval run --help)")
        if dest not in given:
            tokens.extend(_flag_tokens(action, value, f"--config {path}: '{key}'"))
    return [argv[0], *tokens, *argv[1:]]


def _load(path: Path) -> dict[str, Any]:
    try:
        data = read_yaml(path)
    except YamlReadError as err:
        if err.is_folder:
            raise UsageError(f"--config {path} is a folder; give the YAML file of run's flags") from None
        raise UsageError(f"--config {path}: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"--config {path}: expected a mapping of run's flags (key: value), got a {type(data).__name__}")
    return data


def _action_of(token: str, parser: argparse.ArgumentParser) -> argparse.Action | None:
    if not token.startswith("--"):
        return None
    option = token.split("=", 1)[0]
    return parser._option_string_actions.get(option)  # no abbreviations: the parser takes none either


def _flag_tokens(action: argparse.Action, value: Any, where: str) -> list[str]:
    option = action.option_strings[-1]
    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(value, bool):
            raise UsageError(f"{where} is a switch: give true or false, not {value!r}")
        return [option] if value else []
    if value is None:
        return []
    if isinstance(action, argparse._AppendAction):
        items = [f"{k}={_scalar(v)}" for k, v in value.items()] if isinstance(value, dict) else (
            value if isinstance(value, list) else [value])
        return [token for item in items for token in (option, _scalar(item, where))]
    if isinstance(value, dict):
        return [option, ",".join(f"{k}={_scalar(v, where)}" for k, v in value.items())]
    if isinstance(value, list):
        return [option, ",".join(_scalar(item, where) for item in value)]
    return [option, _scalar(value, where)]


def _scalar(value: Any, where: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise UsageError(f"{where}: nested value {value!r}; give a plain value")
    return str(value)
