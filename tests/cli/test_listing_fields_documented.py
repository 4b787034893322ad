"""docs/cli.md's field tables for `tasks --json` and `models --json` name exactly the keys they print."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eagle_eval.cli import main

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def documented_fields(heading: str) -> list[str]:
    """The first column of the table under `### heading` in docs/cli.md."""
    text = CLI_DOC.read_text(encoding="utf-8")
    section = text.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [re.match(r"\| `([^`]+)` \|", row).group(1) for row in rows]


def printed_fields(items: list[dict]) -> set[str]:
    """Every key printed, nested ones as `parent.key` (objects) and `parent[].key` (lists of objects)."""
    fields: set[str] = set()
    for item in items:
        for key, value in item.items():
            fields.add(key)
            if isinstance(value, dict):
                fields.update(f"{key}.{inner}" for inner in value)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                fields.update(f"{key}[].{inner}" for element in value for inner in element)
    return fields


@pytest.mark.parametrize("command", ["tasks", "models"])
def test_the_documented_fields_are_the_printed_keys(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main([command, "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert items
    documented = documented_fields(f"`{command} --json` fields")
    assert len(documented) == len(set(documented)), documented
    assert set(documented) == printed_fields(items)
