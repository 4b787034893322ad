"""The import structure the design rests on, read from the source (AST), not from a running import.

Record types are leaves (metrics, the judge and data loading use them without the task contract);
data loading does not import the task contract (no data <-> task cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Source folder -> the package name it installs as (pyproject's package-dir).
PACKAGES = {"eagle_eval": "eagle_eval", "tasks": "eagle_eval.tasks", "model_adapters": "eagle_eval.model_adapters"}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT)
    package = PACKAGES[rel.parts[0]]
    parts = [package, *rel.parts[1:-1]]
    if rel.stem != "__init__":
        parts.append(rel.stem)
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included), made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.stem == "__init__"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                here = module_name(path).split(".")
                base = here if is_package else here[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def modules_under(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_the_walker_sees_nested_and_relative_imports(tmp_path: Path) -> None:
    sample = ROOT / "eagle_eval" / "metrics" / "aggregate.py"
    assert "eagle_eval.core.records.ScoredDoc" in imported_modules(sample)
    relative = ROOT / "model_adapters" / "__init__.py"
    assert module_name(relative) == "eagle_eval.model_adapters"


@pytest.mark.parametrize("leaf", ["core/records.py", "core/units.py"])
def test_record_modules_import_nothing_from_the_package(leaf: str) -> None:
    imports = imported_modules(ROOT / "eagle_eval" / leaf)
    assert not [m for m in imports if m.startswith("eagle_eval")], imports


def test_metrics_do_not_import_the_task_contract() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.startswith("eagle_eval.api.task"))
        for path in modules_under("eagle_eval/metrics")
    }
    assert not {k: v for k, v in offenders.items() if v}


@pytest.mark.parametrize("module", ["data/loading.py", "data/rows.py", "judge/llm_judge.py", "run/distributed.py",
                                    "data/images.py"])
def test_data_loading_and_helpers_do_not_import_the_task_contract(module: str) -> None:
    imports = imported_modules(ROOT / "eagle_eval" / module)
    assert not [m for m in imports if m == "eagle_eval.api.task" or m.startswith("eagle_eval.api.task.")], imports


def test_cli_command_modules_import_only_the_common_module_of_the_cli() -> None:
    """app.py gathers the command groups; a group imports only cli.common and helper modules (those
    without commands, such as run's config-file reader), which import only cli.common: no cycle."""
    cli = ROOT / "eagle_eval" / "cli"
    helpers = {path.stem for path in cli.glob("*.py")
               if path.stem not in ("__init__", "app", "common") and "def add_commands" not in path.read_text()}
    for path in sorted(cli.glob("*.py")):
        if path.stem in ("__init__", "app"):
            continue
        allowed = {"common"} | (set() if path.stem in helpers else helpers)
        own = {m.split(".")[2] for m in imported_modules(path) if m.startswith("eagle_eval.cli.")}
        assert not {m for m in imported_modules(path) if m == "eagle_eval.cli"}, path.name
        assert own <= allowed, (path.name, own)


def test_nothing_outside_the_cli_imports_it() -> None:
    for folder in ("eagle_eval", "tasks", "model_adapters"):
        for path in modules_under(folder):
            if path.parent.name == "cli" or path.name == "__main__.py":
                continue
            assert not [m for m in imported_modules(path) if m.startswith("eagle_eval.cli")], path
