"""A task and an adapter shipped from another package are picked up through the entry points.

The plugin's files are the worked examples of docs/adding-an-adapter.md and docs/adding-a-task.md,
taken from the docs as written (code blocks that start with `# <path>`), with the entry points of
their `pyproject.toml` blocks written into a `.dist-info` on the import path, as `pip install` would.
A fresh interpreter lists them; the runs call the CLI in-process, with the folder on sys.path and a
registry that reads the entry points again on first use, as a new process does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import one_line_exit_2

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "adding-an-adapter.md", ROOT / "docs" / "adding-a-task.md")
DATA = ROOT / "data" / "hub"


def install_examples(site: Path) -> dict[str, dict[str, str]]:
    """Write the docs' example files under `site` with a dist-info; return the entry points declared."""
    groups: dict[str, dict[str, str]] = {}
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for language, body in re.findall(r"```(python|toml)\n(.*?)```", text, re.S):
            if language == "python":
                first, _, rest = body.partition("\n")
                path = site / first.removeprefix("# ").strip()
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(rest, encoding="utf-8")
            else:
                declared = tomllib.loads(body)["project"]["entry-points"]
                for group, entries in declared.items():
                    groups.setdefault(group, {}).update(entries)
    dist = site / "eagle_eval_doc_examples-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: eagle-eval-doc-examples\nVersion: 0.1\n")
    lines = [f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
             for group, entries in groups.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines))
    return groups


def eagle_eval(site: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "eagle_eval", *argv], capture_output=True, text=True, env=env,
                          timeout=300, cwd=site)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    groups = install_examples(folder)
    assert groups == {"eagle_eval.models": {"constant": "constant_vlm:register"},
                      "eagle_eval.tasks": {"pope_yes_ratio": "pope_yes_ratio:register"}}
    return folder


@pytest.fixture
def plugins(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The examples on sys.path and a copy of the built-in registry that reads the entry points again on
    first use, as a new process does; both undone afterwards."""
    from eagle_eval.api import registry

    registry.task_names()  # the built-ins register when their modules are imported, once per process
    monkeypatch.syspath_prepend(str(site))
    for table in ("_TASKS", "_MODELS", "_ALIASES", "_SCHEMES", "_SCHEME_TARGETS"):
        monkeypatch.setattr(registry, table, dict(getattr(registry, table)))
    monkeypatch.setattr(registry, "_loaded", False)
    yield site
    for module in [name for name in sys.modules if name.split(".")[0] in ("constant_vlm", "pope_yes_ratio")]:
        del sys.modules[module]


@pytest.mark.slow  # two fresh interpreters
def test_the_plugin_model_and_task_are_listed(site: Path) -> None:
    models = eagle_eval(site, "models", "--json")
    assert models.returncode == 0, models.stderr
    assert "constant" in {m["name"] for m in json.loads(models.stdout)}
    tasks = eagle_eval(site, "tasks", "--json")
    assert tasks.returncode == 0, tasks.stderr
    assert "pope_yes_ratio" in {t["name"] for t in json.loads(tasks.stdout)}


def test_the_plugin_model_runs_the_plugin_task_and_a_builtin_one(plugins: Path, eagle, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    common = ("--tasks", "pope,pope_yes_ratio", "--limit", "6", "--data-root", str(DATA), "--output-dir", str(out),
              "--no-progress")
    for word in ("yes", "no"):
        result = eagle("run", "--model", "constant", "--model-arg", f"answer={word}", *common)
        assert result.code == 0, result.err
    runs = [json.loads(path.read_text()) for path in sorted(out.glob("*/results.json"))]
    assert len(runs) == 2  # the setting enters the run id
    by_answer = {run["settings"]["model_args"]["answer"]: run for run in runs}
    # Answering yes to all questions is a yes-ratio of 100%; answering no, 0%.
    assert by_answer["yes"]["results"]["pope_yes_ratio"]["headline"]["value"] == 100.0
    assert by_answer["no"]["results"]["pope_yes_ratio"]["headline"]["value"] == 0.0
    # A constant answer is right exactly on the questions whose answer it is: the two accuracies add to 1.
    accuracy = [by_answer[w]["results"]["pope"]["metrics"]["accuracy"] for w in ("yes", "no")]
    assert accuracy[0] + accuracy[1] == pytest.approx(1.0)
    run = by_answer["no"]
    assert run["model"]["name"] == "constant" and run["model"]["extra"] == {"kind": "baseline"}
    assert run["model"]["settings"] == {"answer": "no"}
    assert run["results"]["pope"]["timings"]["tokens_generated"] == 6


def test_the_plugin_checks_its_own_model_args(plugins: Path, eagle, tmp_path: Path) -> None:
    common = ("--tasks", "pope", "--limit", "2", "--data-root", str(DATA), "--output-dir", str(tmp_path / "bad"),
              "--no-progress")
    unknown = one_line_exit_2(eagle("run", "--model", "constant", "--model-arg", "colour=blue", *common))
    assert "valid keys: answer" in unknown
    bad = one_line_exit_2(eagle("run", "--model", "constant", "--model-arg", "answer=two words", *common))
    assert "the answer must be one word" in bad
