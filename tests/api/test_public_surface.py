"""The public surface for plugin authors: every name the how-to pages import exists where they say.

docs/adding-a-task.md and docs/adding-an-adapter.md tell a third party what to import; this reads
their code blocks and imports each name as written, so a move inside eagle_eval cannot break a plugin
without failing here.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import eagle_eval.api as api

DOCS = Path(__file__).resolve().parents[2] / "docs"
HOW_TO = ("adding-a-task.md", "adding-an-adapter.md")


def documented_imports() -> list[tuple[str, str, str]]:
    """(page, module, name) for every `from eagle_eval… import name` in the pages' Python blocks."""
    found = []
    for page in HOW_TO:
        text = (DOCS / page).read_text(encoding="utf-8")
        for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
            for node in ast.walk(ast.parse(block)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("eagle_eval"):
                    found.extend((page, node.module, alias.name) for alias in node.names)
    return found


def test_the_pages_import_the_contracts_from_the_public_module() -> None:
    imports = documented_imports()
    modules = {module for _, module, _ in imports}
    assert "eagle_eval.api" in modules
    # Beside the public module only the pure metrics, which a task calls as it would a library.
    assert modules <= {"eagle_eval.api"} | {m for m in modules if m.startswith("eagle_eval.metrics.")}, modules


@pytest.mark.parametrize(("page", "module", "name"), documented_imports())
def test_every_documented_name_imports(page: str, module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name), f"{page}: from {module} import {name}"


def test_the_public_module_exports_what_it_lists_and_nothing_is_missing() -> None:
    exported = set(api.__all__)
    assert exported == set(api._HOMES)
    for name in sorted(exported):
        value = getattr(api, name)
        assert getattr(importlib.import_module(api._HOMES[name]), name) is value, name
    with pytest.raises(AttributeError, match="has no attribute 'not_a_name'"):
        api.not_a_name  # noqa: B018


def test_importing_one_contract_does_not_load_the_others() -> None:
    """The surface is lazy: a core-only import (an adapter's records) pulls in no task machinery."""
    import subprocess
    import sys

    code = ("import sys, eagle_eval.api.adapter; "
            "print('eagle_eval.api.task' in sys.modules, 'eagle_eval.data.loading' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
