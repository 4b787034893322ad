"""Check the architecture: import-linter's contracts, mypy, and the size of modules and functions.

    .venv/bin/python scripts/check_architecture.py

pyproject maps tasks/ and model_adapters/ under the eagle_eval namespace (package-dir), which the import
graph and the type checker cannot see from the source tree: eagle_eval/ has no tasks/ folder. So this
lays the package out in a temporary folder as the wheel does (a copy of each mapped folder under its
dotted name), runs `lint-imports` and `mypy -p eagle_eval` there, and prints every finding with the path
of the file in this checkout. It also reads every module for its size: no module over 400 lines and
no function over 60 (a function may be longer only with `# long: <why>` on its `def` line). Exit
status: 0 when all pass, 1 otherwise. The contracts are in pyproject's [tool.importlinter], the
type-checking settings in [tool.mypy]; docs/architecture.md says why.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def package_folders() -> dict[str, Path]:
    """Each package's dotted name and its folder in the checkout, from pyproject's package-dir."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapped = setuptools.get("package-dir", {})
    return {name: REPO / mapped.get(name, name.replace(".", "/")) for name in setuptools["packages"]}


def lay_out(stage: Path) -> dict[str, str]:
    """Copy every package's own files to its installed place under stage; staged path → checkout path."""
    back = {}
    for name, folder in package_folders().items():
        target = stage / name.replace(".", "/")
        target.mkdir(parents=True, exist_ok=True)
        for source in folder.iterdir():
            if source.is_file() and source.suffix in {".py", ".pyi", ".typed"}:
                shutil.copy2(source, target / source.name)
        back[f"{name.replace('.', '/')}/"] = f"{folder.relative_to(REPO)}/"
    return back


def in_checkout(text: str, back: dict[str, str]) -> str:
    """The findings with staged paths turned into the checkout's (the longest mapping wins)."""
    pattern = re.compile("|".join(re.escape(p) for p in sorted(back, key=len, reverse=True)))
    return pattern.sub(lambda m: back[m.group(0)], text)


def run(command: list[str], stage: Path, back: dict[str, str]) -> bool:
    environment = {**os.environ, "PYTHONPATH": str(stage), "MYPY_CACHE_DIR": str(REPO / ".mypy_cache")}
    done = subprocess.run(command, cwd=stage, env=environment, capture_output=True, text=True)
    output = in_checkout(done.stdout + done.stderr, back).replace(f"{stage}/", "")
    print(output.rstrip())
    return done.returncode == 0


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def oversized(folders: dict[str, Path]) -> list[str]:
    """Modules and functions over the limits, as `path:line: what` lines."""
    found = []
    for folder in sorted(set(folders.values())):
        for path in sorted(folder.glob("*.py")):
            source = path.read_text(encoding="utf-8")
            where = path.relative_to(REPO)
            if source.count("\n") > MAX_MODULE_LINES:
                found.append(f"{where}:1: {source.count(chr(10))} lines; split it (at most {MAX_MODULE_LINES})")
            lines = source.splitlines()
            for node in ast.walk(ast.parse(source)):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > MAX_FUNCTION_LINES and "# long:" not in lines[node.lineno - 1]:
                    found.append(f"{where}:{node.lineno}: {node.name} is {length} lines; split it "
                                 f"(at most {MAX_FUNCTION_LINES}, or say why with `# long: ...` on its def line)")
    return found


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="eagle-eval-layout-") as folder:
        stage = Path(folder)
        back = lay_out(stage)
        shutil.copy2(REPO / "pyproject.toml", stage / "pyproject.toml")
        contracts = run([str(BIN / "lint-imports"), "--no-cache"], stage, back)
        types = run([str(BIN / "mypy"), "-p", "eagle_eval"], stage, back)
    sizes = oversized(package_folders())
    print("\n".join(sizes) if sizes else f"Sizes: no module over {MAX_MODULE_LINES} lines, no function over "
          f"{MAX_FUNCTION_LINES}.")
    return 0 if contracts and types and not sizes else 1


if __name__ == "__main__":
    sys.exit(main())
