"""The architecture check itself: a change that breaks a contract fails with the contract's name.

scripts/check_architecture.py lays the package out as installed and runs import-linter there; these
tests plant one forbidden import in such a layout and check that the named contract breaks, so the
contracts cannot silently stop applying (a renamed package, a layer left out of the list).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


@pytest.fixture(scope="module")
def architecture():
    spec = importlib.util.spec_from_file_location("check_architecture", REPO / "scripts" / "check_architecture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def contracts_with(architecture, tmp_path: Path, module: str, source: str,
                   runner_imports_it: bool = False) -> subprocess.CompletedProcess:
    """lint-imports over the installed layout with `source` added as `module` (and, to close a circle,
    imported by the runner)."""
    architecture.lay_out(tmp_path)
    (tmp_path / "pyproject.toml").write_bytes((REPO / "pyproject.toml").read_bytes())
    (tmp_path / Path(*module.split("."))).with_suffix(".py").write_text(source, encoding="utf-8")
    if runner_imports_it:
        runner = tmp_path / "eagle_eval" / "run" / "runner.py"
        runner.write_text(runner.read_text(encoding="utf-8") + f"\nimport {module}  # noqa\n", encoding="utf-8")
    # Wide enough that no contract's name is wrapped in the report.
    environment = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "400"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                          env=environment)


def test_the_package_keeps_every_contract(architecture, tmp_path: Path) -> None:
    done = contracts_with(architecture, tmp_path, "eagle_eval.core.planted", '"""Nothing imported."""\n')
    assert done.returncode == 0, done.stdout
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        ("eagle_eval.core.planted", "import eagle_eval.run.runner\n", "Layers: cli, sweeps, then the run"),
        ("eagle_eval.tasks.planted", "import eagle_eval.model_adapters.eagle\n", "Tasks never import model adapters"),
        ("eagle_eval.model_adapters.planted", "import eagle_eval.tasks.pope\n", "Model adapters never import tasks"),
        ("eagle_eval.tasks.planted", "import eagle_eval.run.runner\n",
         "Tasks and model adapters never import the run, the CLI, the report or the gate"),
        ("eagle_eval.results.planted", "import eagle_eval.tasks.pope\n", "The harness knows no task and no model"),
        ("eagle_eval.report.planted", "import eagle_eval.cli.common\n", "Nothing imports the CLI"),
        ("eagle_eval.run.planted", "import eagle_eval.run.runner\n", "No import circles"),
    ],
)
def test_a_forbidden_import_breaks_its_named_contract(architecture, tmp_path: Path, module: str, source: str,
                                                       contract: str) -> None:
    # A circle needs both directions: the runner imports the planted module, which imports the runner.
    done = contracts_with(architecture, tmp_path, module, source, runner_imports_it=contract == "No import circles")
    assert done.returncode != 0
    broken = [line for line in done.stdout.splitlines() if line.rstrip().endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), done.stdout


def test_oversized_functions_are_found(architecture, tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (tmp_path / "long.py").write_text(f"def long():\n{body}\n\n\ndef allowed():  # long: a table\n{body}\n")
    architecture.REPO = tmp_path  # the report names paths relative to the folder it reads
    found = architecture.oversized({"planted": tmp_path})
    assert len(found) == 1 and "long.py:1: long is 62 lines" in found[0]
